/**
 * npm run bench:retention — what purging costs at 10M rows, and what the writers feel meanwhile, with
 * the raw baseline measured in the same run:
 *
 *  1. a fresh Postgres database (migrated, monthly partitions, the production indexes) loaded in SQL:
 *     BENCH_ROWS rows (default 10,000,000) over three old months (INSERT … SELECT generate_series),
 *     ten organizations, one of them (`org-big`) 30% of every month;
 *  2. (a) month A purged whole: detach + drop (PostgresRetentionStore.dropPartition);
 *     (b) org-big's rows of month B, inside the shared partition: batched deletes (deleteInBatches);
 *     baseline: month C by one plain `DELETE … WHERE "createdAt" >= … AND "createdAt" < …`, then its VACUUM.
 *     During each, a writer inserts 50-row batches into the current month: its worst and p99 insert
 *     latency, and the longest lock wait of its statements seen in pg_stat_activity (sampled every 20 ms);
 *  3. embedded ClickHouse (chDB): the same rows via INSERT … SELECT numbers() (the hourly rollup fills
 *     through its view), then the drop of month A (events + rollup) and org-big's delete in month B
 *     (lightweight DELETE + rollup recompute).
 * The drop of a month is timed whole and by phase: DETACH (the only part with a lock writers could
 * feel), the per-organization count of the detached table that goes into retention_runs, and DROP.
 * Run under `flock /tmp/audit-bench.lock` so benchmarks never overlap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { ClickHouse, ClickHouseModule } from '@audit/clickhouse';
import { monthStart, PartitionManager, partitionName, PersistenceModule } from '@audit/persistence';
import { JsonLogger, PlatformModule } from '@audit/platform';
import { ClickHouseRetentionStore, PostgresRetentionStore, RetentionRunnerModule, partitionRange } from '@audit/retention';
import { createTestDatabase } from '@audit/testing';
import { percentile } from './cpu';
import { cleanupOnExit } from './cleanup';
import { progress } from './progress';
import { BenchResults } from './results';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const WRITER_BATCH = 50;
const WRITER_APP = 'bench-retention-writer';

const seconds = async <T>(work: () => Promise<T>): Promise<{ value: T; s: number }> => {
  const t = performance.now();
  const value = await work();
  return { value, s: (performance.now() - t) / 1000 };
};

@Module({ imports: [PlatformModule, PersistenceModule, ClickHouseModule, RetentionRunnerModule] })
class BenchModule {}

interface WriterStats {
  inserts: number;
  maxMs: number;
  p99Ms: number;
  lockWaitMaxMs: number;
  lockWaitsSeen: number;
}

/** A writer inserting small batches into the current month, and a sampler of its lock waits, around `work`. */
async function withWriter<T>(url: string, work: () => Promise<T>): Promise<{ value: T; s: number; writer: WriterStats }> {
  const writer = new Client({ connectionString: url, application_name: WRITER_APP });
  const monitor = new Client({ connectionString: url, application_name: 'bench-retention-monitor' });
  await writer.connect();
  await monitor.connect();
  let stop = false;
  const latencies: number[] = [];
  let lockWaitMaxMs = 0;
  let lockWaitsSeen = 0;
  const writing = (async () => {
    while (!stop) {
      const t = performance.now();
      await writer.query(
        `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
         SELECT gen_random_uuid(), 'org-big', 'LOGIN', now(), now() FROM generate_series(1, ${WRITER_BATCH})`,
      );
      latencies.push(performance.now() - t);
    }
  })();
  const sampling = (async () => {
    while (!stop) {
      const { rows } = await monitor.query<{ ms: number }>(
        `SELECT extract(epoch FROM clock_timestamp() - query_start) * 1000 AS ms FROM pg_stat_activity
         WHERE application_name = $1 AND state = 'active' AND wait_event_type = 'Lock'`,
        [WRITER_APP],
      );
      for (const r of rows) {
        lockWaitsSeen++;
        lockWaitMaxMs = Math.max(lockWaitMaxMs, Number(r.ms));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const timed = await seconds(work);
    stop = true;
    await writing;
    await sampling;
    const sorted = [...latencies].sort((x, y) => x - y);
    return { ...timed, writer: { inserts: sorted.length, maxMs: sorted[sorted.length - 1] ?? NaN, p99Ms: percentile(sorted, 99), lockWaitMaxMs, lockWaitsSeen } };
  } finally {
    stop = true;
    await writing.catch(() => undefined);
    await sampling.catch(() => undefined);
    await writer.end();
    await monitor.end();
  }
}

const describeWriter = (w: WriterStats): string =>
  `writer: ${w.inserts} inserts of ${WRITER_BATCH} rows, worst ${w.maxMs.toFixed(0)} ms, p99 ${w.p99Ms.toFixed(0)} ms, longest lock wait seen ${w.lockWaitMaxMs.toFixed(0)} ms (${w.lockWaitsSeen} samples waiting)`;

async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 30_000) throw new Error('BENCH_ROWS must be an integer ≥ 30000');
  const loadBefore = loadavg();
  const now = new Date();
  const months = [6, 5, 4].map((back) => monthStart(now, -back)); // A, B, C
  const perMonth = Math.floor(ROWS / 3);
  const db = await createTestDatabase('audit_bench_retention');
  const chPath = mkdtempSync(path.join(tmpdir(), 'audit-bench-retention-ch-'));
  let app: INestApplicationContext | undefined;
  const cleanup = cleanupOnExit(async () => {
    await app?.close().catch(() => undefined);
    await db.drop().catch((error: unknown) => console.error('drop failed', error));
    rmSync(chPath, { recursive: true, force: true });
  });
  try {
    Object.assign(process.env, { DATABASE_URL: db.url, CLICKHOUSE_PATH: chPath, CLICKHOUSE_DATABASE: 'audit', LOG_LEVEL: 'warn' });
    app = await NestFactory.createApplicationContext(BenchModule, { logger: new JsonLogger('bench', 'warn') });
    await app.init();
    const partitions = app.get(PartitionManager);
    await partitions.ensureAhead(now);
    for (const m of months) await partitions.ensureMonth(m);
    const pg = app.get(PostgresRetentionStore);
    const ch = app.get(ClickHouseRetentionStore);
    const chClient = app.get(ClickHouse).client;

    // ---- Load Postgres, in SQL ----
    const loads: number[] = [];
    for (const m of months) {
      const stepMs = (monthStart(m, 1).getTime() - m.getTime()) / perMonth;
      progress(`loading ${perMonth} rows into ${partitionName(m)}`);
      const { s } = await seconds(() =>
        db.query(
          `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "userId", "responseTimeMs", "pageName", metadata, "createdAt", "receivedAt")
           SELECT gen_random_uuid(), CASE WHEN g % 10 < 3 THEN 'org-big' ELSE 'org-' || (g % 10) END,
                  (ARRAY['LOGIN','LOGOUT','QUERY_RUN','PAGE_VIEW'])[1 + g % 4], 'user-' || (g % 5000), g % 900, 'page-' || (g % 40),
                  jsonb_build_object('source', 'bench', 'n', g), t, t
           FROM generate_series(0, $3::int - 1) g, LATERAL (SELECT $1::timestamptz + (g * $2::float8) * interval '1 millisecond' AS t) x`,
          [m, stepMs, perMonth],
        ),
      );
      loads.push(s);
      progress(`  ${s.toFixed(1)} s`);
    }
    const analyze = await seconds(() => db.query('ANALYZE audit_trail_events'));
    await db.query('CHECKPOINT');
    const size = (await db.query<{ b: string }>(`SELECT pg_total_relation_size($1)::bigint AS b`, [partitionName(months[0])]))[0].b;
    const inventory = await seconds(() => pg.inventory());

    // ---- (a) month A by partition drop ----
    progress('(a) detach + drop of month A');
    const [a0, a1] = [months[0], monthStart(months[0], 1)];
    const drop = await withWriter(db.url, () =>
      pg.dropPartition({ action: 'partition_drop', store: 'postgres', partition: partitionName(a0), range: { from: a0, to: a1 }, organizations: [] }, async (orgs) => new Set(orgs)),
    );
    const dropped = [...drop.value.rows.values()].reduce((n, x) => n + x, 0);

    // ---- (b) org-big's month B by batched deletes ----
    progress('(b) batched delete of org-big in month B');
    const b1 = monthStart(months[1], 1);
    const batched = await withWriter(db.url, () =>
      pg.deleteInBatches({ action: 'delete', store: 'postgres', partition: partitionName(months[1]), organizationId: 'org-big', cutoff: b1 }),
    );

    // ---- baseline: plain DELETE of month C, then VACUUM ----
    progress('baseline: plain DELETE of month C');
    const c0 = months[2];
    const c1 = monthStart(c0, 1);
    const plain = await withWriter(db.url, async () => {
      const rows = await db.query<{ n: number }>(
        `WITH gone AS (DELETE FROM audit_trail_events WHERE "createdAt" >= $1 AND "createdAt" < $2 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
        [c0, c1],
      );
      return rows[0].n;
    });
    progress('baseline: VACUUM of month C');
    const vacuum = await withWriter(db.url, () => db.query(`VACUUM ${partitionName(c0)}`));

    // ---- ClickHouse ----
    progress(`ClickHouse: loading ${perMonth * 3} rows`);
    const chLoads: number[] = [];
    for (const m of months) {
      const stepMs = (monthStart(m, 1).getTime() - m.getTime()) / perMonth;
      const { s } = await seconds(() =>
        chClient.command({
          query: `INSERT INTO audit_events (id, organizationId, actionType, userId, responseTimeMs, pageName, metadata, createdAt, receivedAt)
                  SELECT generateUUIDv4(), if(number % 10 < 3, 'org-big', concat('org-', toString(number % 10))),
                         ['LOGIN','LOGOUT','QUERY_RUN','PAGE_VIEW'][1 + number % 4], concat('user-', toString(number % 5000)), number % 900,
                         concat('page-', toString(number % 40)), '{"source":"bench"}',
                         toDateTime64({from:DateTime64(3, 'UTC')}, 3, 'UTC') + toIntervalMillisecond(toUInt64(number * {step:Float64})) AS t, t
                  FROM numbers({n:UInt64})`,
          query_params: { from: m.toISOString().replace('T', ' ').replace('Z', ''), step: stepMs, n: perMonth },
          clickhouse_settings: { max_insert_threads: '2' },
        }),
      );
      chLoads.push(s);
    }
    const chPartition = (m: Date): string => `${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
    progress('ClickHouse: drop of month A (events + rollup)');
    const aId = chPartition(months[0]);
    const aRange = partitionRange(aId);
    if (!aRange) throw new Error(`no ClickHouse partition range for ${aId}`);
    const chDrop = await seconds(() =>
      ch.dropPartition({ action: 'partition_drop', store: 'clickhouse', partition: aId, range: aRange, organizations: [] }, async (orgs) => new Set(orgs)),
    );
    progress('ClickHouse: delete of org-big in month B (+ rollup recompute)');
    const chDelete = await seconds(() =>
      ch.delete({ action: 'delete', store: 'clickhouse', partition: chPartition(months[1]), organizationId: 'org-big', cutoff: monthStart(months[1], 1) }),
    );

    // ---- Report ----
    const loadAfter = loadavg();
    const line = (label: string, value: string): void => console.log(`${label.padEnd(62)} ${value}`);
    console.log(`\nretention benchmark, ${new Date().toISOString()}`);
    console.log(
      `machine: ${cpus().length} CPUs, load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} at start, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} at the end ` +
        '(other work on the machine, e.g. other test runs, shows here)',
    );
    line('Postgres load: INSERT … SELECT generate_series, 3 months', `${(perMonth * 3).toLocaleString('en')} rows in ${loads.reduce((x, y) => x + y, 0).toFixed(1)} s (${loads.map((s) => s.toFixed(1)).join(' + ')}), ANALYZE ${analyze.s.toFixed(1)} s; one month ${mb(Number(size))} with indexes`);
    line('inventory: organizations per partition (skip scans)', `${(inventory.s * 1000).toFixed(0)} ms for ${inventory.value.partitions.length} partitions`);
    line(`(a) month A, ${dropped.toLocaleString('en')} rows: detach + drop`, `${drop.s.toFixed(2)} s  ${describeWriter(drop.writer)}`);
    line(
      '    of which: DETACH / per-organization count of the detached table / DROP',
      `${drop.value.detachMs.toFixed(0)} ms / ${drop.value.checkMs.toFixed(0)} ms / ${drop.value.dropMs.toFixed(0)} ms`,
    );
    line(`(b) org-big in month B, ${batched.value.toLocaleString('en')} rows: batched deletes`, `${batched.s.toFixed(2)} s  ${describeWriter(batched.writer)}`);
    line(`baseline: plain DELETE of month C, ${plain.value.toLocaleString('en')} rows`, `${plain.s.toFixed(2)} s  ${describeWriter(plain.writer)}`);
    line('baseline: VACUUM of month C after it', `${vacuum.s.toFixed(2)} s  ${describeWriter(vacuum.writer)}`);
    line('ClickHouse load: INSERT … SELECT numbers(), rollup via its view', `${(perMonth * 3).toLocaleString('en')} rows in ${chLoads.reduce((x, y) => x + y, 0).toFixed(1)} s`);
    line(
      `ClickHouse (a) month A, ${[...chDrop.value.rows.values()].reduce((n, x) => n + x, 0).toLocaleString('en')} rows: count + DROP PARTITION ×2`,
      `${(chDrop.s * 1000).toFixed(0)} ms, of which the two DROP PARTITION statements ${chDrop.value.dropMs.toFixed(0)} ms`,
    );
    line(`ClickHouse (b) org-big in month B, ${chDelete.value.toLocaleString('en')} rows: DELETE + rollup`, `${(chDelete.s * 1000).toFixed(0)} ms`);
    const results = new BenchResults('retention');
    const plainDelete = { name: `plain DELETE of a month, ${plain.value} rows`, value: round2(plain.s), unit: 's' };
    results.figure(`Postgres: month of ${dropped} rows, detach + drop`, round2(drop.s), 's', plainDelete);
    results.figure(`Postgres: one organization's ${batched.value} rows of a month, batched deletes`, round2(batched.s), 's', plainDelete);
    results.figure('ClickHouse: month, count + DROP PARTITION ×2', Math.round(chDrop.s * 1000), 'ms');
    results.figure(`ClickHouse: one organization's ${chDelete.value} rows of a month, DELETE + rollup`, Math.round(chDelete.s * 1000), 'ms');
    results.note(`${perMonth} rows per month, 3 months; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} at start, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} at the end`);
    results.write();
  } finally {
    await cleanup();
  }
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
