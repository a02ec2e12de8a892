/**
 * npm run bench:proof — `GET /v1/events/:id/proof` at scale: a log of PROOF_LEAVES (default 10,000,000)
 * leaves built straight in Postgres (no pipeline): leaf bytes and subtree hashes made by libs/transparency's
 * own code (leafBytesOf, CompactRange, as the sealer's appender does), written with COPY, one signed
 * checkpoint of the whole tree. Then PROOFS (default 2,000) sequential proof requests for random events
 * through the query app, p50/p95, beside the raw baseline measured interleaved in the same run: the same
 * Postgres reads alone (the event's leaf with the latest checkpoint, the inclusion path's subtree hashes)
 * through the repository, in this process, without HTTP; and the same reads from the previous layout (every
 * interior level stored, read by `(level, index) IN (...)`, as commit 0d008aa did), built beside it in the
 * table `bench_every_level_nodes` (PROOF_EVERY_LEVEL=false skips it). Target p95 ≤ 20 ms at 10M.
 */
import { hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { TokensService } from '@audit/auth';
import { Database, readPersistenceConfig, TransparencyLogRepository } from '@audit/persistence';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, startService, startTestNats } from '@audit/testing';
import {
  CompactRange,
  generateNoteKey,
  inclusionProof,
  isStoredLevel,
  leafBytesOf,
  leafHash,
  parseSignerKey,
  signCheckpoint,
  type NodeId,
  type SubtreeHashStore,
  type SubtreeNode,
} from '@audit/transparency';
import { percentile, watchMachineLoad } from './cpu';
import { BenchResults } from './results';

const LEAVES = Number(process.env.PROOF_LEAVES ?? 10_000_000);
const PROOFS = Number(process.env.PROOFS ?? 2_000);
const ORG = 'acme';
const SECRET = 'bench-proof-secret-that-is-long-enough-0123456789';
const BATCH = 100_000;
const EVERY_LEVEL = process.env.PROOF_EVERY_LEVEL !== 'false';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const eventId = (i: number): string => `0190f0c8-8a4e-7c3b-9d2a-${i.toString(16).padStart(12, '0')}`;
const hex = (b: Buffer): string => `\\\\x${b.toString('hex')}`;

/** Appends every leaf to the tree and streams the COPY text of log_leaves and log_nodes, batch by batch. */
async function buildLog(client: Client): Promise<CompactRange> {
  let range = CompactRange.empty();
  for (let from = 0; from < LEAVES; from += BATCH) {
    const to = Math.min(LEAVES, from + BATCH);
    let leaves = '';
    const hashes: Buffer[] = [];
    for (let i = from; i < to; i++) {
      const at = new Date(T0 + i * 10).toISOString();
      // A commitment of no real content: the proof API reads it back, never recomputes it.
      const commitment = hash('sha256', `content ${i}`, 'base64');
      const leaf = leafBytesOf({ id: eventId(i), organizationId: ORG, actionType: 'LOGIN', createdAt: at, receivedAt: at }, commitment);
      hashes.push(leafHash(leaf));
      leaves += `${ORG}\t${i}\t${eventId(i)}\t${hex(leaf)}\t\\N\t\\N\n`;
    }
    const appended = range.append(hashes);
    range = appended.range;
    const interior = appended.nodes.filter((n) => n.level > 0);
    const rows = (nodes: SubtreeNode[]): string => nodes.map((n) => `${ORG}\t${n.level}\t${n.index}\t${hex(n.hash)}\n`).join('');
    const nodes = rows(interior.filter((n) => isStoredLevel(n.level)));
    await pipeline(Readable.from([leaves]), client.query(copyFrom(`COPY log_leaves ("organizationId", "leafIndex", "eventId", leaf, salt, "user") FROM STDIN`)));
    if (nodes !== '') await pipeline(Readable.from([nodes]), client.query(copyFrom(`COPY log_nodes ("organizationId", level, index, hash) FROM STDIN`)));
    if (EVERY_LEVEL && interior.length > 0) {
      await pipeline(Readable.from([rows(interior)]), client.query(copyFrom(`COPY bench_every_level_nodes ("organizationId", level, index, hash) FROM STDIN`)));
    }
    if (to % 1_000_000 === 0 || to === LEAVES) process.stderr.write(`\rlog built: ${to.toLocaleString('en-US')} leaves`);
  }
  process.stderr.write('\n');
  return range;
}

// The previous layout's read (commit 0d008aa's NODES), over the table that holds every interior level.
const EVERY_LEVEL_NODES = `
  WITH wanted AS (SELECT * FROM unnest($2::smallint[], $3::bigint[]) AS t(level, index))
  SELECT n.level, n.index, n.hash FROM bench_every_level_nodes n
  WHERE n."organizationId" = $1 AND (n.level, n.index) IN (SELECT level, index FROM wanted WHERE level > 0)
  UNION ALL
  SELECT 0::smallint, l."leafIndex", sha256('\\x00'::bytea || l.leaf) FROM log_leaves l
  WHERE l."organizationId" = $1 AND l."leafIndex" IN (SELECT index FROM wanted WHERE level = 0)`;

/** A store reading the previous layout, one query per proof as it did. */
function everyLevelStore(client: Client): SubtreeHashStore {
  return {
    getNodes: async (ids: readonly NodeId[]) => {
      const { rows } = await client.query<{ level: number; index: string; hash: Buffer }>(EVERY_LEVEL_NODES, [ORG, ids.map((n) => n.level), ids.map((n) => n.index)]);
      const byId = new Map(rows.map((r) => [`${r.level}:${r.index}`, r.hash]));
      return ids.map(({ level, index }) => {
        const hash = byId.get(`${level}:${index}`);
        if (hash === undefined) throw new Error(`no subtree (${level}, ${index}) in bench_every_level_nodes`);
        return hash;
      });
    },
  };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const results = new BenchResults('proof');
  const [db, nats] = await Promise.all([createTestDatabase('audit_bench_proof'), startTestNats()]);
  const database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
  await database.onModuleInit();
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    if (EVERY_LEVEL) await client.query(`CREATE TABLE bench_every_level_nodes (LIKE log_nodes INCLUDING ALL)`);
    const built = performance.now();
    const range = await buildLog(client);
    const key = generateNoteKey(`audit-trail/log/${ORG}`);
    const root = range.root();
    const note = signCheckpoint({ origin: `audit-trail/log/${ORG}`, size: LEAVES, rootHash: root, extensions: [] }, [parseSignerKey(key.signerKey)]);
    await client.query(`INSERT INTO log_trees ("organizationId", size, "rootHash", "sealedSize", "sealedAt") VALUES ($1, $2, $3, $2, now())`, [ORG, LEAVES, root]);
    await client.query(`INSERT INTO log_checkpoints ("organizationId", "treeSize", "rootHash", note) VALUES ($1, $2, $3, $4)`, [ORG, LEAVES, root, note]);
    await client.query(`INSERT INTO log_keys ("verifierKey") VALUES ($1)`, [key.verifierKey]);
    await client.query(`VACUUM ANALYZE log_leaves, log_nodes${EVERY_LEVEL ? ', bench_every_level_nodes' : ''}`);
    const [sizes] = (
      await client.query<{ leaves: string; nodes: string; every: string | null }>(
        `SELECT pg_total_relation_size('log_leaves') AS leaves, pg_total_relation_size('log_nodes') AS nodes, pg_total_relation_size(to_regclass('bench_every_level_nodes')) AS every`,
      )
    ).rows;
    const mib = (bytes: string | null): string => `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;
    console.log(
      `log of ${LEAVES.toLocaleString('en-US')} leaves built in ${((performance.now() - built) / 1000).toFixed(0)} s (log_leaves ${mib(sizes.leaves)}, log_nodes ${mib(sizes.nodes)}` +
        `${EVERY_LEVEL ? `; every level, the previous layout: ${mib(sizes.every)}` : ''})`,
    );

    const query = await startService('query', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET, AUDIT_READS: 'false' });
    try {
      const tokens = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
      const token = await tokens.sign({ organizationId: ORG, role: 'admin', userId: 'bench' }, 3600);
      const log = new TransparencyLogRepository(database);
      const api: number[] = [];
      const raw: number[] = [];
      const previous: number[] = [];
      const previousStore = everyLevelStore(client);
      const load = watchMachineLoad();
      for (let k = 0; k < PROOFS; k++) {
        const id = eventId(Math.floor(Math.random() * LEAVES));
        const s = performance.now();
        const res = await fetch(`${query.url}/v1/events/${id}/proof`, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`the proof of ${id} answered ${res.status}`);
        api.push(performance.now() - s);
        // The two layouts' reads take turns going first, so neither is always the one that finds the pages warm.
        const tiled = async (): Promise<Buffer[]> => {
          const t = performance.now();
          const { leaf, latest } = await log.proofStart(ORG, id);
          if (!leaf || !latest) throw new Error(`no leaf or checkpoint for ${id}`);
          const path = await inclusionProof(log.hashStore(ORG), leaf.leafIndex, latest.treeSize);
          raw.push(performance.now() - t);
          return path;
        };
        const everyLevel = async (): Promise<Buffer[]> => {
          const t = performance.now();
          const { leaf, latest } = await log.proofStart(ORG, id);
          const path = await inclusionProof(previousStore, leaf?.leafIndex ?? -1, latest?.treeSize ?? 0);
          previous.push(performance.now() - t);
          return path;
        };
        if (!EVERY_LEVEL) await tiled();
        else {
          const [a, b] = k % 2 === 0 ? [await tiled(), await everyLevel()] : [await everyLevel(), await tiled()];
          if (a.length !== b.length || a.some((h, i) => !h.equals(b[i]))) throw new Error(`the two layouts prove ${id} differently`);
        }
      }
      const { note: loadNote } = load.stop();
      api.sort((a, b) => a - b);
      raw.sort((a, b) => a - b);
      previous.sort((a, b) => a - b);
      console.log(
        `GET /v1/events/:id/proof  p50 ${percentile(api, 50).toFixed(1)} ms  p95 ${percentile(api, 95).toFixed(1)} ms   ` +
          `(the same Postgres reads alone: p50 ${percentile(raw, 50).toFixed(1)} ms  p95 ${percentile(raw, 95).toFixed(1)} ms; ${PROOFS} sequential, tree of ${LEAVES.toLocaleString('en-US')}; target p95 ≤ 20 ms at 10M)`,
      );
      if (EVERY_LEVEL) {
        console.log(`   the same reads from the previous layout (every level stored): p50 ${percentile(previous, 50).toFixed(1)} ms  p95 ${percentile(previous, 95).toFixed(1)} ms`);
        results.figure('proof reads p95, tiles', Number(percentile(raw, 95).toFixed(2)), 'ms', { name: 'the same reads from every level stored (previous layout), p95', value: Number(percentile(previous, 95).toFixed(2)), unit: 'ms' });
      }
      console.log(loadNote);
      results.figure('proof API p95', Number(percentile(api, 95).toFixed(2)), 'ms', { name: 'the same Postgres reads alone, p95', value: Number(percentile(raw, 95).toFixed(2)), unit: 'ms' });
      results.figure('proof API p50', Number(percentile(api, 50).toFixed(2)), 'ms', { name: 'the same Postgres reads alone, p50', value: Number(percentile(raw, 50).toFixed(2)), unit: 'ms' });
      results.note(`tree of ${LEAVES} leaves built with COPY (no pipeline); ${PROOFS} sequential requests for random events; ${loadNote}`);
      results.write();
    } finally {
      await query.stop();
    }
  } finally {
    await client.end();
    await database.onApplicationShutdown();
    await nats.destroy();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
