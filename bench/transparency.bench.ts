/**
 * npm run bench:transparency — the pure costs of the transparency log on one core, no I/O:
 *  1. leaves: salt + commitment (JCS of the content) + leaf bytes (JCS) + leaf hash, per second;
 *  2. appends: leaf hashes into the compact range in batches of 1000, every emitted subtree kept
 *     in the in-memory store, per second;
 *  3. inclusion proofs generated from that store (random leaf, latest size), per second;
 *  4. inclusion proofs verified against the root, per second (what an offline verifier does per event);
 *  5. multi-leaf proofs (one proof for many leaves, as an export bundle would carry) verified, per leaf:
 *     every leaf of the tree, and every 10th leaf;
 *  6. signed checkpoints opened (Ed25519 verify + parse), per second.
 * BENCH_LEAVES (default 200,000) sets the tree size. Each line gives the wall-clock rate and the rate
 * per second of this process's own CPU time, which stays meaningful on a shared, busy machine.
 */
import type { AuditEvent } from '@audit/contracts';
import {
  commitmentOf,
  CompactRange,
  generateNoteKey,
  inclusionProof,
  InMemoryHashStore,
  leafBytesOf,
  multiInclusionProof,
  leafHash,
  makeSalt,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
  verifyInclusion,
  verifyMultiInclusion,
} from '@audit/transparency';
import { BenchResults } from './results';

const LEAVES = Number(process.env.BENCH_LEAVES ?? 200_000);
const PROOFS = 50_000;

function eventAt(i: number): AuditEvent {
  return {
    schemaVersion: 1,
    id: `0190f0c8-8a4e-7c3b-9d2a-${i.toString(16).padStart(12, '0')}`,
    organizationId: 'acme',
    actionType: 'QUERY_RUN',
    userId: `user-${i % 500}`,
    user: { email: `user-${i % 500}@example.com`, userName: `User ${i % 500}` },
    ipAddress: '192.0.2.1',
    responseTimeMs: i % 300,
    pageName: 'Orders',
    queryName: 'listOrders',
    resourceName: 'postgres-main',
    metadata: { query: 'select * from orders where id = {{id}}', parameters: { id: i }, headers: { 'user-agent': 'bench' } },
    createdAt: new Date(1_767_225_600_000 + i).toISOString(),
    receivedAt: new Date(1_767_225_600_250 + i).toISOString(),
  };
}

/** Times `work` by the wall clock and by this process's CPU time, and prints both rates. */
const results = new BenchResults('transparency');

async function measure<T>(label: string, count: number, work: () => T | Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await work();
  const wallS = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuS = (used.user + used.system) / 1e6;
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(11);
  console.log(`${label.padEnd(48)} ${fmt(count / wallS)} /s wall ${fmt(count / cpuS)} /s per CPU-second  (${count.toLocaleString('en-US')})`);
  results.figure(label, Math.round(count / cpuS), '/s per CPU-second');
  return value;
}

async function main(): Promise<void> {
  const events = Array.from({ length: LEAVES }, (_, i) => eventAt(i));

  const hashes = await measure('leaf (salt, commitment, leaf bytes, leaf hash)', LEAVES, () =>
    events.map((e) => leafHash(leafBytesOf(e, commitmentOf(e, makeSalt())))),
  );

  const store = new InMemoryHashStore();
  const range = await measure('append (batches of 1000, subtrees stored)', LEAVES, () => {
    let r = CompactRange.empty();
    for (let i = 0; i < LEAVES; i += 1000) {
      const result = r.append(hashes.slice(i, i + 1000));
      store.put(result.nodes);
      r = result.range;
    }
    return r;
  });
  const root = range.root();

  const indexes = Array.from({ length: PROOFS }, (_, i) => (i * 7919) % LEAVES);
  const proofs = await measure(`inclusion proof generated (tree of ${LEAVES.toLocaleString('en-US')})`, PROOFS, async () => {
    const out = [];
    for (const index of indexes) out.push(await inclusionProof(store, index, LEAVES));
    return out;
  });

  await measure('inclusion proof verified', PROOFS, () => indexes.forEach((index, i) => verifyInclusion(index, LEAVES, hashes[index], proofs[i], root)));

  for (const step of [1, 10]) {
    const subset = Array.from({ length: Math.ceil(LEAVES / step) }, (_, i) => i * step);
    const multi = await multiInclusionProof(store, subset, LEAVES);
    const leaves = subset.map((index) => ({ index, hash: hashes[index] }));
    await measure(`multi-leaf proof verified, every ${step === 1 ? 'leaf' : `${step}th leaf`} (per leaf)`, subset.length, () =>
      verifyMultiInclusion(LEAVES, leaves, multi, root),
    );
  }

  const key = generateNoteKey('audit.example/log/acme');
  const note = signCheckpoint({ origin: 'audit.example/log/acme', size: LEAVES, rootHash: root, extensions: [] }, [parseSignerKey(key.signerKey)]);
  const verifiers = [parseVerifierKey(key.verifierKey)];
  const opens = 5_000;
  await measure('signed checkpoint opened (Ed25519)', opens, () => {
    for (let i = 0; i < opens; i++) openCheckpoint(note, verifiers);
  });
}

main().then(
  () => {
    results.note(`tree of ${LEAVES} leaves, ${PROOFS} proofs; rates per CPU-second of this process (wall rates printed)`);
    results.write();
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
