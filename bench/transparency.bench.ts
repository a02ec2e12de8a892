/**
 * npm run bench:transparency — the pure costs of the transparency log on one core, no I/O:
 *  1. leaves: salt + commitment (JCS of the content) + leaf bytes (JCS) + leaf hash, per second;
 *  2. appends: leaf hashes into the compact range in batches of 1000, every emitted subtree kept
 *     in the in-memory store, per second;
 *  3. inclusion proofs generated from that store (random leaf, latest size), per second;
 *  4. inclusion proofs verified against the root, per second (what an offline verifier does per event);
 *  5. multi-leaf proofs (one proof for many leaves, as an export bundle would carry) verified, per leaf:
 *     every leaf of the tree, and every 10th leaf;
 *  6. signed checkpoints opened (Ed25519 verify + parse), per second;
 *  7. `verify export` of a bundle of BUNDLE_EVENTS (default 1,000,000) events, built here straight from
 *     this lib (no pipeline: the exporter's lines from bundle-format.ts, gzip'd, every event sealed in one
 *     checkpoint, every 20th erased), read as the CLI reads it (`verifyBundleFile`), beside two floors over
 *     the same file measured in the same run: reading + gunzip + SHA-256 of the bytes, and reading + gunzip
 *     + JSON.parse of each line (what a verifier that parses every line cannot beat);
 *  8. `verify log`'s own work (LogVerifier over LOG_ENTRIES in-memory entries, default 200,000: each
 *     leaf read back and held against its row, the commitment recomputed, the tree rebuilt to the
 *     checkpoint's root), beside its raw floor in the same run: the two SHA-256 of each entry (leaf hash and
 *     commitment) through node:crypto alone. No database: the walk's queries are not measured here.
 * BENCH_ONLY=verify-log runs step 8 alone and writes no results file (to alternate two builds quickly on a busy machine).
 * BENCH_LEAVES (default 200,000) sets the tree size of 1–6. Each line gives the wall-clock rate and the rate
 * per second of this process's own CPU time, which stays meaningful on a shared, busy machine.
 */
import { createHash, hash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { openBundle, verifyBundleFile } from '@audit/cli';
import type { AuditEvent } from '@audit/contracts';
import {
  BUNDLE_RANGE_LEAVES,
  bundleHeaderLine,
  commitmentOf,
  CompactRange,
  generateNoteKey,
  inclusionProof,
  InMemoryHashStore,
  leafBytesOf,
  multiInclusionProof,
  leafHash,
  LogVerifier,
  makeSalt,
  openCheckpoint,
  openingText,
  parseSignerKey,
  parseVerifierKey,
  proofLine,
  rootOf,
  sealedEventLine,
  sealEvent,
  signCheckpoint,
  verifyInclusion,
  verifyMultiInclusion,
  type LogEntry,
  type VerifiedRow,
} from '@audit/transparency';
import { watchMachineLoad } from './cpu';
import { BenchResults } from './results';

const LEAVES = Number(process.env.BENCH_LEAVES ?? 200_000);
const PROOFS = 50_000;
const BUNDLE_EVENTS = Number(process.env.BUNDLE_EVENTS ?? 1_000_000);
const LOG_ENTRIES = Number(process.env.LOG_ENTRIES ?? 200_000);

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

type Rates = { wall: number; cpu: number };

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; rates: (count: number) => Rates }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await work();
  const wallS = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuS = (used.user + used.system) / 1e6;
  return { value, rates: (count) => ({ wall: count / wallS, cpu: count / cpuS }) };
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(11);
const printRates = (label: string, count: number, r: Rates): void =>
  console.log(`${label.padEnd(48)} ${fmt(r.wall)} /s wall ${fmt(r.cpu)} /s per CPU-second  (${count.toLocaleString('en-US')})`);

async function measure<T>(label: string, count: number, work: () => T | Promise<T>): Promise<T> {
  const { value, rates } = await timed(work);
  const r = rates(count);
  printRates(label, count, r);
  results.figure(label, Math.round(r.cpu), '/s per CPU-second');
  return value;
}

/**
 * Writes a bundle of `count` events as the exporter does (bundle-format.ts: header with the signed
 * checkpoint, one line per event with its leaf and opening, every 20th erased, the proof line), gzip'd;
 * every event is sealed, so the proof of all of them is empty (its ranges are every range of the tree) and
 * the verifier recomputes the whole tree from the leaves. The header needs the root of every leaf, so the event lines go first into a gzip member
 * of their own, and the file is the header's member, theirs and the proof line's (gzip readers read
 * concatenated members as one stream).
 */
async function writeBundle(file: string, count: number): Promise<string> {
  const key = generateNoteKey('audit.example/log/acme');
  let range = CompactRange.empty();
  // The proof line's range hashes: every range of BUNDLE_RANGE_LEAVES leaves holds an exported event.
  const ranges: Buffer[] = [];
  let inRange: Buffer[] = [];
  async function* eventLines(): AsyncGenerator<string> {
    let chunk = '';
    let hashes: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const e = eventAt(i);
      const salt = randomBytes(32);
      const { leaf } = sealEvent(e, salt);
      hashes.push(leafHash(leaf));
      inRange.push(hashes[hashes.length - 1]);
      if (inRange.length === BUNDLE_RANGE_LEAVES || i === count - 1) {
        ranges.push(rootOf(inRange));
        inRange = [];
      }
      chunk += sealedEventLine(i, leaf.toString('utf8'), i % 20 === 7 ? null : openingText(e, salt));
      if (hashes.length === 1000 || i === count - 1) {
        range = range.append(hashes).range;
        hashes = [];
        yield chunk;
        chunk = '';
      }
    }
  }
  const body = `${file}.events`;
  await pipeline(eventLines, createGzip({ level: 1 }), createWriteStream(body));
  const note = signCheckpoint({ origin: 'audit.example/log/acme', size: count, rootHash: range.root(), extensions: [] }, [parseSignerKey(key.signerKey)]);
  async function* members(): AsyncGenerator<Buffer> {
    yield gzipSync(bundleHeaderLine('acme', note));
    for await (const chunk of createReadStream(body)) yield chunk as Buffer;
    yield gzipSync(proofLine([], ranges));
  }
  await pipeline(members, createWriteStream(file));
  rmSync(body);
  return key.verifierKey;
}

/** Reads the file's lines and JSON.parses each: the floor of any verifier that parses every line. */
async function parseEveryLine(file: string): Promise<number> {
  let lines = 0;
  let rest = '';
  for await (const chunk of (await openBundle(file)).input as AsyncIterable<Buffer>) {
    const text = rest + chunk.toString('utf8');
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      JSON.parse(text.slice(start, end));
      lines++;
      start = end + 1;
    }
    rest = text.slice(start);
  }
  return lines;
}

/** 7. `verify export` on a bundle of BUNDLE_EVENTS events, beside the floors of reading the same file. */
async function verifyExport(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-bundle-'));
  try {
    const file = path.join(dir, 'audit.bundle.gz');
    const built = performance.now();
    const verifierKey = await writeBundle(file, BUNDLE_EVENTS);
    console.log(
      `bundle of ${BUNDLE_EVENTS.toLocaleString('en-US')} events written in ${((performance.now() - built) / 1000).toFixed(0)} s (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB gzip'd)`,
    );
    const load = watchMachineLoad();
    const sha = await timed(async () => {
      const digest = createHash('sha256');
      for await (const chunk of (await openBundle(file)).input) digest.update(chunk as Buffer);
      return digest.digest();
    });
    const parse = await timed(() => parseEveryLine(file));
    const verify = await timed(() => verifyBundleFile(file, [parseVerifierKey(verifierKey)]));
    const report = verify.value;
    const erased = Math.floor((BUNDLE_EVENTS + 12) / 20);
    if (!report.ok || report.counts.verified !== BUNDLE_EVENTS - erased || report.counts.erased !== erased) throw new Error(`the bundle did not verify: ${JSON.stringify(report.counts)}`);
    const floor = sha.rates(BUNDLE_EVENTS);
    const parsed = parse.rates(BUNDLE_EVENTS);
    const verified = verify.rates(BUNDLE_EVENTS);
    printRates('read + gunzip + SHA-256 of the bytes (floor)', BUNDLE_EVENTS, floor);
    printRates('read + gunzip + JSON.parse per line (floor)', BUNDLE_EVENTS, parsed);
    printRates('verify export (events; target ≥ 200k/s)', BUNDLE_EVENTS, verified);
    const { note } = load.stop();
    console.log(note);
    results.figure('verify export, events per wall second', Math.round(verified.wall), 'events/s', {
      name: 'read + gunzip + JSON.parse per line',
      value: Math.round(parsed.wall),
      unit: 'events/s',
    });
    results.figure('verify export, events per CPU-second (target ≥ 200,000)', Math.round(verified.cpu), 'events/s per CPU-second', {
      name: 'read + gunzip + JSON.parse per line',
      value: Math.round(parsed.cpu),
      unit: 'events/s per CPU-second',
    });
    results.figure('read + gunzip + SHA-256 of the bytes (floor)', Math.round(floor.cpu), 'events/s per CPU-second');
    results.note(`verify export: bundle of ${BUNDLE_EVENTS} events built from libs/transparency (no pipeline), gzip level 1; ${note}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `verify log` without the database: the entries a walk would hand LogVerifier (leaf, salt, user, row), built
 * here, then verified against a signed checkpoint of all of them; beside the raw floor of its hashing.
 */
async function verifyLog(): Promise<void> {
  const key = generateNoteKey('audit.example/log/acme');
  const entries: LogEntry[] = [];
  const leafHashes: Buffer[] = [];
  for (let i = 0; i < LOG_ENTRIES; i++) {
    const e = eventAt(i);
    const salt = randomBytes(32);
    const { leaf } = sealEvent(e, salt);
    leafHashes.push(leafHash(leaf));
    const { user, schemaVersion: _v, ...row } = e;
    // Times as Dates, as pg hands the walk its timestamptz columns.
    entries.push({ leafIndex: i, eventId: e.id, leaf, salt, user: user ?? null, row: { ...row, createdAt: new Date(e.createdAt), receivedAt: new Date(e.receivedAt as string) } as VerifiedRow });
  }
  const note = signCheckpoint({ origin: 'audit.example/log/acme', size: LOG_ENTRIES, rootHash: rootOf(leafHashes), extensions: [] }, [parseSignerKey(key.signerKey)]);
  const keys = [parseVerifierKey(key.verifierKey)];
  const openings = entries.map((entry) => openingText({ ...(entry.row as VerifiedRow), user: entry.user }, entry.salt) as string);
  const load = watchMachineLoad();
  const floor = await timed(() => {
    for (let i = 0; i < entries.length; i++) {
      hash('sha256', entries[i].leaf, 'buffer');
      hash('sha256', openings[i], 'buffer');
    }
  });
  const walked = await timed(() => {
    const verifier = new LogVerifier({ keys, latest: note, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(0) });
    for (let i = 0; i < entries.length; i += 10_000) verifier.addEntries(entries.slice(i, i + 10_000));
    return verifier.finish();
  });
  if (!walked.value.ok || walked.value.counts.verified !== LOG_ENTRIES) throw new Error(`the log did not verify: ${JSON.stringify(walked.value.counts)}`);
  const raw = floor.rates(LOG_ENTRIES);
  const rate = walked.rates(LOG_ENTRIES);
  printRates('two SHA-256 per entry, node:crypto (floor)', LOG_ENTRIES, raw);
  printRates('verify log, LogVerifier alone (entries)', LOG_ENTRIES, rate);
  const { note: machine } = load.stop();
  console.log(machine);
  results.figure('verify log (LogVerifier, no database), entries per CPU-second', Math.round(rate.cpu), 'entries/s per CPU-second', {
    name: 'two SHA-256 per entry (leaf hash, commitment) through node:crypto',
    value: Math.round(raw.cpu),
    unit: 'entries/s per CPU-second',
  });
  results.note(`verify log: ${LOG_ENTRIES} in-memory entries, one checkpoint over all; ${machine}`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'verify-log') return verifyLog();
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

  await verifyExport();
  await verifyLog();
}

main().then(
  () => {
    if (process.env.BENCH_ONLY !== undefined) return;
    results.note(`tree of ${LEAVES} leaves, ${PROOFS} proofs; rates per CPU-second of this process (wall rates printed)`);
    results.write();
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
