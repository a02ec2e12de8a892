/**
 * npm run bench:analytics — the analytics API over a large, realistic data set, beside Postgres and
 * beside the raw limits of ClickHouse, all measured in one run on this machine:
 *
 *  1. generates BENCH_ROWS events (default 10,000,000; 90 days, 50 organizations, Zipf-skewed),
 *     streaming, deterministic (BENCH_SEED);
 *  2. loads them into a fresh Postgres database (migrated, monthly partitions, COPY) and into embedded
 *     ClickHouse (chDB): the oldest rows by a direct bulk insert into audit_events (the materialized
 *     view fills the hourly rollup), the newest BENCH_PROJECTOR_ROWS (default min(500k, rows/4)) through
 *     the real pipeline: published to AUDIT_EVENTS on a private NATS and drained by the `projector`
 *     consumer. The same newest rows are first inserted into a scratch table with the same schema by
 *     plain `@clickhouse/client` JSONEachRow inserts of 10k rows: the raw baseline;
 *  3. starts the projector app (projector + analytics API, one process: chDB binds one data directory
 *     per process) on that ClickHouse directory, times the drain, then p50/p95 of every analytics
 *     endpoint over HTTP for the largest organization over the newest 30 days;
 *  4. computes the same aggregates in Postgres (audit_trail_events, users) and checks they agree;
 *  5. prints the table, and drops the database, the NATS store and the ClickHouse directory.
 *
 * BENCH_API_REPS (30) and BENCH_PG_REPS (5) set the measured repetitions (after 10 and 1 warm-ups).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { jetstream, jetstreamManager, type ConsumerInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { readAuthConfig, TokensService } from '@audit/auth';
import { migrateClickHouse, openClickHouse, ROLLUPS, toClickHouseRow, type ClickHouseEventRow } from '@audit/clickhouse';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { readProjectorConfig } from '@audit/projector';
import { createTestDatabase, metricSample, scrapeMetrics, startService, startTestNats, waitFor, type RunningService } from '@audit/testing';
import type { Dataset } from './analytics-data';
import { largestOrganization, loadPageBenchDatabase, pageBenchDataset } from './page-data';
import { pressureSince, type PgLoad } from './postgres-load';
import { cleanupOnExit } from './cleanup';
import { cpuSecondsOf, percentile, waitForQuietMachine } from './cpu';
import { sampleGets } from './http-sampler';
import { progress } from './progress';
import { BenchResults } from './results';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const PROJECTOR_ROWS = Math.min(ROWS, Number(process.env.BENCH_PROJECTOR_ROWS ?? Math.min(500_000, Math.floor(ROWS / 4))));
const WINDOW_DAYS = 30;
// ClickHouse compiles a query's expressions on its 4th run (min_count_to_compile_expression = 3): the
// first runs are of a query the live console has long since compiled.
const API_WARMUPS = 10;
const API_REPS = Number(process.env.BENCH_API_REPS ?? 30);
const PG_WARMUPS = 1;
const PG_REPS = Number(process.env.BENCH_PG_REPS ?? 5);
const CHUNK = 10_000;
const BULK_BATCH = 100_000;
const SECRET = 'bench-analytics-secret-bench-analytics-secret';
const CH_DATABASE = 'audit';


interface Timings {
  samples: number[];
}

interface EndpointResult {
  name: string;
  api: Timings;
  pg: Timings;
  check: string;
}

interface Measured {
  results: EndpointResult[];
  apiPressure: number;
  pgPressure: number;
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error('BENCH_ROWS must be an integer ≥ 1000');
  const loadBefore = loadavg();
  // The data set ends now (to the minute), so the 30-day window is "the last 30 days" and its edges are not whole hours.
  const dataset = pageBenchDataset(ROWS);
  const end = dataset.options.end;
  progress(`${PROJECTOR_ROWS} newest rows go through the projector`);

  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench_analytics');
  const chPath = mkdtempSync(path.join(tmpdir(), 'audit-bench-ch-'));
  let service: RunningService | undefined;
  const cleanup = cleanupOnExit(async () => {
    progress('cleaning up');
    await service?.stop();
    await db.drop().catch((error: unknown) => console.error('drop failed', error));
    await nats.destroy();
    rmSync(chPath, { recursive: true, force: true });
  });
  try {
    // 1–2a. Postgres: schema by the migrations, monthly partitions as PartitionManager names them, COPY.
    const { load: pgLoad, partitions } = await loadPageBenchDatabase(db.url, dataset);
    progress(`Postgres ${db.name}: migrated, partitions ${partitions.join(', ')}, loaded`);
    const largest = largestOrganization(pgLoad.byOrg);

    // 2b. ClickHouse in this process, closed before the app opens the same directory.
    const chLoad = await loadClickHouse(chPath, dataset, nats.url);

    // 3. The projector app: drains the published events, then serves the analytics API on the full data set.
    const drain = await drainProjector(nats, async () => {
      service = await startService(
        'projector',
        { DATABASE_URL: db.url, NATS_URL: nats.url, CLICKHOUSE_PATH: chPath, CLICKHOUSE_DATABASE: CH_DATABASE, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'warn' },
        180_000,
      );
    });
    if (!service) throw new Error('the projector app did not start');
    const app = service;
    const metrics = parseMetrics(await scrapeMetrics(app.url));

    const token = await new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET })).sign({ organizationId: largest.org, role: 'admin' }, 3600);
    const to = end;
    const from = new Date(end.getTime() - WINDOW_DAYS * 86_400_000);
    const pg = await PgQueries.open(db.url);
    try {
      // Sanity: every row of the largest organization is in both stores.
      const whole = await apiJson<{ total: number }>(app.url, token, `/v1/analytics/summary?from=${dataset.start.toISOString()}&to=${new Date(end.getTime() + 1).toISOString()}`);
      const windowRows = await pg.count(largest.org, from, to);
      progress(`largest organization ${largest.org}: ${largest.rows} rows generated, ${whole.total} in ClickHouse, ${windowRows} in the ${WINDOW_DAYS}-day window`);
      if (whole.total !== largest.rows) throw new Error(`ClickHouse holds ${whole.total} rows of ${largest.org}, expected ${largest.rows}`);

      // 4–5. The endpoints through HTTP, then the same aggregates in Postgres.
      // The parts the projector just wrote merge in the background for a while, Postgres still digests its
      // load: queries are timed once the machine is quiet, as a live system is between bursts.
      const settled = await waitForQuietMachine();
      progress(`the machine was ${settled.quiet ? 'quiet' : 'still busy'} after ${settled.waited.toFixed(1)} s (background merges, autovacuum, checkpoints)`);
      const measured = await measureEndpoints(app.url, token, pg, largest.org, from, to);
      const loadAfter = loadavg();
      report({ dataset, pgLoad, chLoad, drain, metrics, measured, largest, windowRows, from, to, loadBefore, loadAfter, partitions });
    } finally {
      await pg.close();
    }
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------------------------------------- Postgres load

// -------------------------------------------------------------------------------------------- ClickHouse load

interface ChLoad {
  bulkRows: number;
  bulkSeconds: number;
  bulkPressure: number;
  mergeWaitSeconds: number;
  partsAfterBulk: number;
  rawRows: number;
  rawInsertSeconds: number;
  rawMvInsertSeconds: number;
  rawBatches: number;
  rawPressure: number;
  published: number;
  publishSeconds: number;
  eventsAfterBulk: number;
  rollupAfterBulk: number;
  rollupRows: number;
  bytesOnDisk: number;
}

/**
 * Oldest rows: direct inserts of 100k-row JSONEachRow batches into audit_events, generation of the next
 * batch overlapping the insert of the previous one. Newest PROJECTOR_ROWS, once the merges have settled:
 * timed 10k-row inserts into a scratch copy of audit_events (the raw baseline) and into a second scratch
 * copy that has its own copy of each rollup view (what the projector's table costs), then
 * published to AUDIT_EVENTS for the projector.
 */
async function loadClickHouse(chPath: string, dataset: Dataset, natsUrl: string): Promise<ChLoad> {
  const { client } = await openClickHouse({ path: chPath, database: CH_DATABASE, username: 'default', password: '' });
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  try {
    await migrateClickHouse(client);
    await client.command({ query: 'CREATE TABLE bench_raw AS audit_events' });
    await client.command({ query: 'CREATE TABLE bench_raw_mv AS audit_events' });
    // The projector's table with its rollups: a scratch copy of each, fed by the same views' SELECTs.
    for (const rollup of ROLLUPS) {
      await client.command({ query: `CREATE TABLE bench_raw_${rollup.table} AS ${rollup.table}` });
      await client.command({ query: `CREATE MATERIALIZED VIEW bench_raw_${rollup.table}_mv TO bench_raw_${rollup.table} AS ${rollup.select('1 = 1', 'bench_raw_mv')}` });
    }
    const jsm = await jetstreamManager(nc);
    await provisionStreams(jsm, readMessagingConfig({ NATS_URL: natsUrl }));
    const js = jetstream(nc);
    const insert = (table: string, values: ClickHouseEventRow[]): Promise<unknown> =>
      // Exactly the projector's insert (ClickHouseEventsRepository.insertNew), without its duplicate check.
      client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    const scalar = async (query: string): Promise<number> => Number((await (await client.query({ query, format: 'JSONEachRow' })).json<{ n: string | number }>())[0].n);

    const bulkTarget = ROWS - PROJECTOR_ROWS;
    let seen = 0;
    let bulk: ClickHouseEventRow[] = [];
    let bulkRows = 0;
    let inFlight: Promise<unknown> | undefined;
    let nextReport = 1_000_000;
    const bulkStarted = performance.now();
    const bulkPressure = pressureSince();
    let bulkSeconds = 0;
    let bulkPressurePct = NaN;
    let mergeWaitSeconds = 0;
    let partsAfterBulk = 0;
    let rawPressure: () => number = () => NaN;
    let rawRows = 0;
    let rawMs = 0;
    let rawMvMs = 0;
    let rawBatches = 0;
    let published = 0;
    let publishMs = 0;
    const flushBulk = async (): Promise<void> => {
      if (inFlight) await inFlight;
      inFlight = undefined;
      if (bulk.length === 0) return;
      const batch = bulk;
      bulk = [];
      bulkRows += batch.length;
      inFlight = insert('audit_events', batch);
      if (bulkRows >= nextReport) {
        progress(`ClickHouse bulk insert: ${bulkRows} rows, ${Math.round(bulkRows / ((performance.now() - bulkStarted) / 1000))} rows/s`);
        nextReport += 1_000_000;
      }
    };
    const endBulk = async (): Promise<void> => {
      await flushBulk();
      await inFlight;
      inFlight = undefined;
      bulkSeconds = (performance.now() - bulkStarted) / 1000;
      bulkPressurePct = bulkPressure();
      const waited = performance.now();
      await waitFor('ClickHouse merges to settle', async () => (await scalar('SELECT count() AS n FROM system.merges')) === 0, 300_000, 500).catch(() => undefined);
      mergeWaitSeconds = (performance.now() - waited) / 1000;
      partsAfterBulk = await scalar(`SELECT count() AS n FROM system.parts WHERE active AND database = '${CH_DATABASE}' AND table = 'audit_events'`);
      progress(`ClickHouse bulk insert: ${bulkRows} rows in ${bulkSeconds.toFixed(1)} s, merges settled after ${mergeWaitSeconds.toFixed(1)} s more (${partsAfterBulk} parts); raw baselines and publishing of the newest ${PROJECTOR_ROWS}`);
      rawPressure = pressureSince();
    };
    for (const chunk of dataset.chunks(CHUNK)) {
      const split = Math.max(0, Math.min(chunk.length, bulkTarget - seen));
      seen += chunk.length;
      for (let i = 0; i < split; i++) bulk.push(toClickHouseRow(chunk[i]));
      if (bulk.length >= BULK_BATCH) await flushBulk();
      if (split === chunk.length) continue;
      if (bulkSeconds === 0) await endBulk();
      const newest = split === 0 ? chunk : chunk.slice(split);
      const rows = newest.map(toClickHouseRow);
      let t = performance.now();
      await insert('bench_raw', rows);
      rawMs += performance.now() - t;
      t = performance.now();
      await insert('bench_raw_mv', rows);
      rawMvMs += performance.now() - t;
      rawRows += rows.length;
      rawBatches++;
      t = performance.now();
      await publish(js, newest);
      publishMs += performance.now() - t;
      published += newest.length;
    }
    if (bulkSeconds === 0) await endBulk();
    const rawPressurePct = rawPressure();
    progress(`raw baseline: ${rawRows} rows in ${(rawMs / 1000).toFixed(1)} s of inserts (${(rawMvMs / 1000).toFixed(1)} s with the rollup views); published ${published} events in ${(publishMs / 1000).toFixed(1)} s`);

    const eventsAfterBulk = await scalar('SELECT count() AS n FROM audit_events');
    const rollupAfterBulk = await scalar('SELECT sum(events) AS n FROM audit_events_hourly');
    const rollupRows = await scalar('SELECT count() AS n FROM audit_events_hourly FINAL');
    const rawCount = await scalar('SELECT count() AS n FROM bench_raw');
    const rawMvCount = await scalar('SELECT sum(events) AS n FROM bench_raw_audit_events_hourly');
    const rawDailyCount = await scalar('SELECT sum(events) AS n FROM bench_raw_audit_events_daily_users');
    if (eventsAfterBulk !== bulkRows || rollupAfterBulk !== bulkRows || rawCount !== rawRows || rawMvCount !== rawRows || rawDailyCount !== rawRows) {
      throw new Error(`ClickHouse counts off: events ${eventsAfterBulk}, rollup ${rollupAfterBulk} (expected ${bulkRows}); raw ${rawCount}, raw rollups ${rawMvCount} / ${rawDailyCount} (expected ${rawRows})`);
    }
    for (const rollup of ROLLUPS) for (const t of [`bench_raw_${rollup.table}_mv`, `bench_raw_${rollup.table}`]) await client.command({ query: `DROP TABLE ${t} SYNC` });
    for (const t of ['bench_raw_mv', 'bench_raw']) await client.command({ query: `DROP TABLE ${t} SYNC` });
    const bytesOnDisk = await scalar(`SELECT sum(bytes_on_disk) AS n FROM system.parts WHERE active AND database = '${CH_DATABASE}' AND table = 'audit_events'`);
    return {
      bulkRows,
      bulkSeconds,
      bulkPressure: bulkPressurePct,
      mergeWaitSeconds,
      partsAfterBulk,
      rawRows,
      rawInsertSeconds: rawMs / 1000,
      rawMvInsertSeconds: rawMvMs / 1000,
      rawBatches,
      rawPressure: rawPressurePct,
      published,
      publishSeconds: publishMs / 1000,
      eventsAfterBulk,
      rollupAfterBulk,
      rollupRows,
      bytesOnDisk,
    };
  } finally {
    await nc.close();
    await client.close();
  }
}

/** Publishes canonical events as ingest does (subject per org and type, the id as Nats-Msg-Id), 1024 in flight. */
async function publish(js: ReturnType<typeof jetstream>, events: AuditEvent[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(1024, events.length) }, async () => {
      while (next < events.length) {
        const e = events[next++];
        await js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id, timeout: 30_000 });
      }
    }),
  );
}

// ----------------------------------------------------------------------------------------------- projector

interface Drain {
  rows: number;
  seconds: number;
  cpu: { projector: number; nats: number };
  pressure: number;
  info?: ConsumerInfo;
}

/** Starts the app and times the `projector` consumer from its first delivery to nothing pending or unacknowledged. */
async function drainProjector(nats: { url: string; port: number }, start: () => Promise<void>): Promise<Drain> {
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  const natsPattern = new RegExp(`nats-server .*-p ${nats.port} `);
  const appPattern = /apps\/projector\/src\/main\.ts/;
  const target = PROJECTOR_ROWS;
  let firstAt = 0;
  let doneAt = 0;
  let cpuAtFirst = { projector: 0, nats: 0 };
  let pressure: () => number = () => NaN;
  let pressurePct = NaN;
  let cpuAtDone = { projector: 0, nats: 0 };
  let last: ConsumerInfo | undefined;
  let stop = false;
  const timeoutMs = Math.max(180_000, PROJECTOR_ROWS * 4);
  const poll = (async () => {
    const deadline = Date.now() + timeoutMs;
    let nextReport = Date.now() + 10_000;
    while (!stop && Date.now() < deadline) {
      try {
        const info = await jsm.consumers.info(STREAMS.events, 'projector');
        last = info;
        const now = performance.now();
        if (firstAt === 0 && info.delivered.stream_seq > 0) {
          firstAt = now;
          pressure = pressureSince();
          cpuAtFirst = { projector: cpuSecondsOf(appPattern), nats: cpuSecondsOf(natsPattern) };
        }
        if (info.ack_floor.stream_seq >= target && info.num_pending === 0 && info.num_ack_pending === 0) {
          doneAt = now;
          pressurePct = pressure();
          cpuAtDone = { projector: cpuSecondsOf(appPattern), nats: cpuSecondsOf(natsPattern) };
          return;
        }
        if (Date.now() > nextReport) {
          progress(`projector: ${info.ack_floor.stream_seq} of ${target} acknowledged`);
          nextReport += 10_000;
        }
      } catch {
        // The app has not created its consumer yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    progress('starting the projector app on the ClickHouse directory');
    await start();
    progress('projector app ready');
    await poll;
    if (doneAt === 0) throw new Error(`the projector did not drain ${target} events in ${timeoutMs / 1000} s (last: ${JSON.stringify(last?.ack_floor)})`);
  } finally {
    stop = true;
    await poll;
    await nc.close();
  }
  const seconds = (doneAt - firstAt) / 1000;
  progress(`projector drained ${target} events in ${seconds.toFixed(1)} s`);
  return { rows: target, seconds, cpu: { projector: cpuAtDone.projector - cpuAtFirst.projector, nats: cpuAtDone.nats - cpuAtFirst.nats }, pressure: pressurePct, info: last };
}

/** The projector's figures the report needs, from its /metrics text. */
function parseMetrics(text: string): Record<string, number> {
  const value = (name: string, labels: Record<string, string> = {}): number => metricSample(text, name, labels) ?? NaN;
  return {
    audit_projector_insert_duration_seconds_sum: value('audit_projector_insert_duration_seconds_sum'),
    audit_projector_duplicate_check_duration_seconds_sum: value('audit_projector_duplicate_check_duration_seconds_sum'),
    audit_projector_insert_duration_seconds_count: value('audit_projector_insert_duration_seconds_count'),
    'audit_projector_rows_total{result="inserted"}': value('audit_projector_rows_total', { result: 'inserted' }),
  };
}

// ----------------------------------------------------------------------------------------------- queries

async function apiJson<T>(base: string, token: string, url: string): Promise<T> {
  const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}

type Row = Record<string, unknown>;

class PgQueries {
  private constructor(private readonly clients: Client[]) {}

  static async open(url: string): Promise<PgQueries> {
    const clients = [new Client({ connectionString: url }), new Client({ connectionString: url })];
    for (const c of clients) {
      await c.connect();
      await c.query(`SET TIME ZONE 'UTC'`);
    }
    return new PgQueries(clients);
  }

  async close(): Promise<void> {
    for (const c of this.clients) await c.end();
  }

  async count(org: string, from: Date, to: Date): Promise<number> {
    const r = await this.clients[0].query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 AND "createdAt" >= $2 AND "createdAt" < $3`, [org, from, to]);
    return r.rows[0].n;
  }

  async query(sql: string, params: unknown[], client = 0): Promise<Row[]> {
    return (await this.clients[client].query(sql, params)).rows as Row[];
  }
}

const WHERE = `"organizationId" = $1 AND "createdAt" >= $2 AND "createdAt" < $3`;

/** Each endpoint: its API path, the Postgres SQL computing the same answer, and a comparison of the two. */
interface Endpoint {
  name: string;
  path: string;
  pg: (db: PgQueries, params: unknown[]) => Promise<unknown>;
  check: (api: unknown, pg: unknown) => string;
}

function endpoints(): Endpoint[] {
  const timeseries = (unit: 'hour' | 'day'): Endpoint => ({
    name: `timeseries interval=${unit}`,
    path: `/v1/analytics/timeseries?interval=${unit}`,
    pg: (db, p) =>
      db.query(
        `SELECT date_trunc('${unit}', "createdAt") AS bucket, "actionType", count(*)::int AS count
         FROM audit_trail_events WHERE ${WHERE} GROUP BY 1, 2 ORDER BY 1, 2`,
        p,
      ),
    check: (api, pg) => {
      const a = (api as { items: Array<{ bucket: string; actionType: string; count: number }> }).items;
      const b = pg as Array<{ bucket: Date; actionType: string; count: number }>;
      const key = (bucket: string, type: string, count: number): string => `${bucket}|${type}|${count}`;
      const bs = new Set(b.map((r) => key(r.bucket.toISOString(), r.actionType, r.count)));
      const same = a.length === b.length && a.every((r) => bs.has(key(r.bucket, r.actionType, r.count)));
      return same ? `same ${a.length} buckets×types` : `DIFFERS (${a.length} vs ${b.length} rows)`;
    },
  });
  return [
    timeseries('hour'),
    timeseries('day'),
    {
      name: 'top-users (limit 10)',
      path: '/v1/analytics/top-users',
      pg: (db, p) =>
        db.query(
          `SELECT t."userId", u.email, u."userName", t.count FROM (
             SELECT "userId", count(*)::int AS count FROM audit_trail_events
             WHERE ${WHERE} AND "userId" IS NOT NULL
             GROUP BY "userId" ORDER BY count DESC, "userId" COLLATE "C" LIMIT 10) t
           LEFT JOIN users u ON u.id = t."userId"
           ORDER BY t.count DESC, t."userId" COLLATE "C"`,
          p,
        ),
      check: (api, pg) => {
        const a = (api as { items: Array<{ userId: string; count: number; email: string | null }> }).items.map((r) => `${r.userId}:${r.count}:${r.email}`);
        const b = (pg as Array<{ userId: string; count: number; email: string | null }>).map((r) => `${r.userId}:${r.count}:${r.email}`);
        return a.join() === b.join() ? `same ${a.length} users` : `DIFFERS: ${a.slice(0, 2).join()} vs ${b.slice(0, 2).join()}`;
      },
    },
    {
      name: 'response-times groupBy=queryName',
      path: '/v1/analytics/response-times?groupBy=queryName',
      pg: (db, p) =>
        db.query(
          `SELECT name, count, q[1] AS p50, q[2] AS p95, q[3] AS p99, max FROM (
             SELECT "queryName" AS name, count(*)::int AS count,
                    percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY "responseTimeMs") AS q,
                    max("responseTimeMs") AS max
             FROM audit_trail_events
             WHERE ${WHERE} AND "queryName" IS NOT NULL AND "responseTimeMs" IS NOT NULL
             GROUP BY "queryName") s
           ORDER BY q[2] DESC, name COLLATE "C" LIMIT 20`,
          p,
        ),
      check: (api, pg) => {
        // ClickHouse quantileExact and Postgres percentile_disc may pick neighbouring elements; counts and max must agree.
        const a = new Map((api as { items: Array<{ name: string; count: number; max: number; p95: number }> }).items.map((r) => [r.name, r]));
        const b = pg as Array<{ name: string; count: number; max: number; p95: number }>;
        const common = b.filter((r) => a.has(r.name));
        const agree = common.filter((r) => a.get(r.name)?.count === r.count && a.get(r.name)?.max === r.max).length;
        const p95Close = common.filter((r) => Math.abs((a.get(r.name)?.p95 ?? 0) - r.p95) <= Math.max(2, r.p95 * 0.02)).length;
        return agree === common.length && common.length >= b.length - 2
          ? `${common.length}/${b.length} groups in both, counts+max equal, p95 within 2%: ${p95Close}`
          : `DIFFERS: ${agree}/${common.length} agree`;
      },
    },
    {
      name: 'summary',
      path: '/v1/analytics/summary',
      // The API runs its two queries at once; so does this, on two connections.
      pg: async (db, p) => {
        const [items, distinct] = await Promise.all([
          db.query(`SELECT "actionType", count(*)::int AS count FROM audit_trail_events WHERE ${WHERE} GROUP BY 1`, p, 0),
          db.query(`SELECT count(DISTINCT "userId")::int AS users, count(DISTINCT "ipAddress")::int AS ips FROM audit_trail_events WHERE ${WHERE}`, p, 1),
        ]);
        return { items, distinct: distinct[0] };
      },
      check: (api, pg) => {
        const a = api as { total: number; distinctUsers: number; distinctIps: number; items: Array<{ actionType: string; count: number }> };
        const b = pg as { items: Array<{ actionType: string; count: number }>; distinct: { users: number; ips: number } };
        const total = b.items.reduce((s, r) => s + r.count, 0);
        const types = new Map(b.items.map((r) => [r.actionType, r.count]));
        const same = a.total === total && a.distinctUsers === b.distinct.users && a.distinctIps === b.distinct.ips && a.items.length === types.size && a.items.every((r) => types.get(r.actionType) === r.count);
        return same ? `same: ${total} events, ${a.items.length} types, ${a.distinctUsers} users, ${a.distinctIps} IPs` : `DIFFERS: total ${a.total} vs ${total}, users ${a.distinctUsers} vs ${b.distinct.users}, IPs ${a.distinctIps} vs ${b.distinct.ips}`;
      },
    },
  ];
}

async function measureEndpoints(base: string, token: string, pg: PgQueries, org: string, from: Date, to: Date): Promise<Measured> {
  const window = `from=${from.toISOString()}&to=${to.toISOString()}`;
  const results: EndpointResult[] = [];
  const list = endpoints();
  const lastApi = new Map<string, unknown>();
  const apiPressure = pressureSince();
  // Timed from a client process of its own (see http-sampler.ts), one endpoint after the other.
  const sampled = await sampleGets({
    base,
    headers: { authorization: `Bearer ${token}` },
    warmups: API_WARMUPS,
    reps: API_REPS,
    requests: list.map((e) => ({ name: e.name, path: `${e.path}${e.path.includes('?') ? '&' : '?'}${window}` })),
  });
  for (const s of sampled) {
    lastApi.set(s.name, s.body);
    results.push({ name: s.name, api: { samples: s.samples }, pg: { samples: [] }, check: '' });
    progress(`API ${s.name}: p50 ${percentile(sorted(s.samples), 50).toFixed(1)} ms, p95 ${percentile(sorted(s.samples), 95).toFixed(1)} ms`);
  }
  const apiPressurePct = apiPressure();
  const pgPressure = pressureSince();
  for (const [i, e] of list.entries()) {
    const params = [org, from, to];
    const samples: number[] = [];
    let answer: unknown;
    for (let r = 0; r < PG_WARMUPS + PG_REPS; r++) {
      const t = performance.now();
      answer = await e.pg(pg, params);
      if (r >= PG_WARMUPS) samples.push(performance.now() - t);
    }
    results[i].pg.samples = samples;
    results[i].check = e.check(lastApi.get(e.name), answer);
    progress(`Postgres ${e.name}: p50 ${percentile(sorted(samples), 50).toFixed(0)} ms; ${results[i].check}`);
  }
  return { results, apiPressure: apiPressurePct, pgPressure: pgPressure() };
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

// ------------------------------------------------------------------------------------------------ report

function report(r: {
  dataset: Dataset;
  pgLoad: PgLoad;
  chLoad: ChLoad;
  drain: Drain;
  metrics: Record<string, number>;
  measured: Measured;
  largest: { org: string; rows: number };
  windowRows: number;
  from: Date;
  to: Date;
  loadBefore: number[];
  loadAfter: number[];
  partitions: string[];
}): void {
  const { pgLoad, chLoad, drain, metrics, measured } = r;
  const { days, orgs, seed } = r.dataset.options;
  const results = measured.results;
  const line = (label: string, value: string): void => console.log(`${label.padEnd(74)} ${value}`);
  const rate = (rows: number, seconds: number): string => (seconds > 0 ? Math.round(rows / seconds).toLocaleString('en-US') : 'n/a');
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const p = (xs: number[], q: number): number => percentile(sorted(xs), q);
  const psi = (pct: number): string => (Number.isFinite(pct) ? `CPU pressure ${pct.toFixed(0)}%` : 'CPU pressure n/a');

  console.log(`\nanalytics benchmark: ${ROWS.toLocaleString('en-US')} events, ${days} days, ${orgs} organizations (Zipf s=1), seed ${seed}; every part on this machine`);
  console.log(`window: ${r.from.toISOString()} .. ${r.to.toISOString()} (${WINDOW_DAYS} days) for ${r.largest.org}, the largest organization: ${r.largest.rows.toLocaleString('en-US')} rows in all, ${r.windowRows.toLocaleString('en-US')} in the window`);
  console.log(
    `machine: ${cpus().length} CPUs, load average ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} at start, ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')} at the end; ` +
      '"CPU pressure" below is the share of wall time some task waited for a CPU (Linux PSI): other engineers\' test runs share this machine\n',
  );

  const head = ['endpoint (30 days, largest org)', 'API p50', 'API p95', 'PG p50', 'PG p95', 'PG÷API p95', 'API p95 ≤ 100 ms', 'API answer vs Postgres'];
  const rows = results.map((e) => {
    const a50 = p(e.api.samples, 50);
    const a95 = p(e.api.samples, 95);
    const g50 = p(e.pg.samples, 50);
    const g95 = p(e.pg.samples, 95);
    return [e.name, a50.toFixed(1), a95.toFixed(1), g50.toFixed(0), g95.toFixed(0), `${(g95 / a95).toFixed(1)}×`, a95 <= 100 ? 'met' : 'MISSED', e.check];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(fmt(row));
  console.log(
    `(ms. API: ${API_REPS} sequential HTTP GETs per endpoint after ${API_WARMUPS} warm-ups from a client process of its own, JWT check and JSON parse included, ${psi(measured.apiPressure)}. ` +
      `Postgres: ${PG_REPS} runs per endpoint after ${PG_WARMUPS} warm-up, the same aggregate in plain SQL over pg, server defaults, ${psi(measured.pgPressure)}.)\n`,
  );

  const rawRate = chLoad.rawRows / chLoad.rawInsertSeconds;
  const projRate = drain.rows / drain.seconds;
  // The projector checks a batch for duplicates while the previous batch is inserted: the two sums overlap in time.
  const insertOnlySum = metrics['audit_projector_insert_duration_seconds_sum'] ?? NaN;
  const checkSum = metrics['audit_projector_duplicate_check_duration_seconds_sum'] ?? NaN;
  const insertSum = insertOnlySum + checkSum;
  const batches = metrics['audit_projector_insert_duration_seconds_count'] ?? NaN;
  const inserted = metrics['audit_projector_rows_total{result="inserted"}'] ?? NaN;
  line('rows: generated / in Postgres / in ClickHouse (bulk + projector)', `${ROWS} / ${pgLoad.rows} / ${chLoad.eventsAfterBulk} + ${inserted} = ${chLoad.eventsAfterBulk + inserted}`);
  line(`Postgres: COPY into ${r.partitions.length} monthly partitions, 4 indexes (rows/s, wall)`, `${rate(pgLoad.rows, pgLoad.seconds)}  (${pgLoad.seconds.toFixed(1)} s, ${pgLoad.generatorSeconds.toFixed(1)} s of it generating in this process; ${psi(pgLoad.pressure)})`);
  line('Postgres: VACUUM ANALYZE after the load', `${pgLoad.vacuumSeconds.toFixed(1)} s; events with indexes ${mb(pgLoad.sizeBytes)}; ${pgLoad.users} users`);
  line('ClickHouse: bulk insert into audit_events + rollup views, 100k-row batches', `${rate(chLoad.bulkRows, chLoad.bulkSeconds)} rows/s  (${chLoad.bulkRows} rows, ${chLoad.bulkSeconds.toFixed(1)} s wall, generating overlapped; ${psi(chLoad.bulkPressure)})`);
  line('ClickHouse: after the bulk insert', `merges settled in ${chLoad.mergeWaitSeconds.toFixed(1)} s, ${chLoad.partsAfterBulk} parts, ${mb(chLoad.bytesOnDisk)} on disk; rollup ${chLoad.rollupRows} rows`);
  line(`raw chDB insert: @clickhouse/client JSONEachRow, ${CHUNK / 1000}k-row batches, scratch table`, `${rate(chLoad.rawRows, chLoad.rawInsertSeconds)} rows/s  (${chLoad.rawRows} rows, ${chLoad.rawBatches} inserts, ${chLoad.rawInsertSeconds.toFixed(1)} s; ${psi(chLoad.rawPressure)})`);
  line('raw chDB insert, same, scratch table with copies of the rollup views', `${rate(chLoad.rawRows, chLoad.rawMvInsertSeconds)} rows/s  (${chLoad.rawMvInsertSeconds.toFixed(1)} s)`);
  line('NATS: publish of the same rows to AUDIT_EVENTS, 1024 in flight (msg/s)', `${rate(chLoad.published, chLoad.publishSeconds)}  (${chLoad.publishSeconds.toFixed(1)} s)`);
  line(`projector: AUDIT_EVENTS → ClickHouse, end to end, batch ${readProjectorConfig().batchSize} (rows/s)`, `${rate(drain.rows, drain.seconds)}  (${drain.rows} rows in ${drain.seconds.toFixed(1)} s, onto ${chLoad.bulkRows} rows; ${psi(drain.pressure)})`);
  line('projector: time inside insertNew (duplicate check + insert + view)', `${insertSum.toFixed(1)} s in ${batches} batches of ${(drain.rows / batches).toFixed(0)} rows on average → ${rate(drain.rows, insertSum)} rows/s while inserting`);
  line(
    'projector: of which inserts, in turn / checks, beside the previous insert',
    `${insertOnlySum.toFixed(1)} s → ${rate(drain.rows, insertOnlySum)} rows/s while inserting / ${checkSum.toFixed(1)} s (waits for the previous insert included)`,
  );
  line('projector: CPU seconds during the drain', `projector app ${drain.cpu.projector.toFixed(1)}, nats-server ${drain.cpu.nats.toFixed(1)}, over ${drain.seconds.toFixed(1)} s wall`);
  line('ratio projector ÷ raw chDB insert (target ≥ 0.50)', `${(projRate / rawRate).toFixed(2)}  ${projRate / rawRate >= 0.5 ? 'met' : 'MISSED'}  (÷ raw with the rollup views: ${(projRate / (chLoad.rawRows / chLoad.rawMvInsertSeconds)).toFixed(2)})`);
  const out = new BenchResults('analytics');
  const r1 = (x: number): number => Math.round(x * 10) / 10;
  for (const e of results) {
    out.figure(`${e.name}: API p95`, r1(p(e.api.samples, 95)), 'ms', { name: 'the same aggregate in plain SQL on Postgres, p95', value: r1(p(e.pg.samples, 95)), unit: 'ms' });
  }
  out.figure('projector: AUDIT_EVENTS → ClickHouse, end to end', Math.round(projRate), 'rows/s', { name: `raw chDB insert, ${CHUNK / 1000}k-row JSONEachRow batches`, value: Math.round(rawRate), unit: 'rows/s' });
  out.note(`${ROWS} events, ${days} days, ${orgs} organizations (Zipf s=1), seed ${seed}; window of ${WINDOW_DAYS} days for the largest organization (${r.windowRows} rows)`);
  out.note(`load average ${r.loadBefore.map((x) => x.toFixed(2)).join(' ')} at start, ${r.loadAfter.map((x) => x.toFixed(2)).join(' ')} at the end; API ${psi(measured.apiPressure)}`);
  out.write();
  if (PROJECTOR_ROWS < ROWS) {
    console.log(
      `\nThe projector drained the newest ${drain.rows} of the ${ROWS} events, published to AUDIT_EVENTS in time order as live traffic arrives; ` +
        'the older rows were bulk-inserted directly (100k-row batches), which is faster than the full pipeline would load them.',
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
