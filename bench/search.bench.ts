/**
 * npm run bench:search — searches of GET /v1/events?search= over a large data set, beside the same
 * query sent straight to ClickHouse and today's Postgres path (the page SQL with the search compiled for
 * Postgres), in one run on this machine:
 *
 *  1. generates BENCH_ROWS events (default 10,000,000; the generator of bench:analytics: 90 days, 50
 *     organizations, Zipf-skewed, so the largest holds about a fifth) once, COPYing them into a fresh
 *     Postgres database while writing the same events to a TabSeparated file, then bulk-inserts that file
 *     into an embedded ClickHouse (bench/search-clickhouse-load.ts, a child process: chDB binds its
 *     directory to one process) and records the projector's high-water mark; each step's time is printed;
 *  2. starts the query app on both and, for the largest organization, times pages 1 and 5 (reached through
 *     nextCursor) of: no filter, one action type, one user (by e-mail), a CIDR, free text matching many,
 *     free text matching nothing, a 1-year window and a 24-hour window — over HTTP (token, parsing, the
 *     user look-up, ClickHouse, the merge read and the rows from Postgres, JSON, the PAGE_VIEW the read
 *     records) interleaved with the Postgres path;
 *     and, alternated with those request by request, the very same ClickHouse statements (readProjectedKeys)
 *     sent directly to a copy of the app's chDB directory opened in the benchmark's process (chDB binds a
 *     directory to one process; the copy is made before the app starts, so it holds the same parts), so
 *     API÷CH compares two figures taken under the same load;
 *  3. stops the app and times the same statements again on the copy, alternated request by request with
 *     EventsSearch.page in the benchmark's process (the API less HTTP, token, Nest and JSON: both under the
 *     same load, which a busy machine changes between steps 2 and 3);
 *     then EventsSearch.page with pages 1.2 s apart (past SEARCH_MARK_REUSE), SEARCH_MARK_STALE at its default
 *     and at 0 alternated (BENCH_PACED_REPS, 10, each);
 *  4. prints p50/p95 of the three with the targets (API p95 ≤ 150 ms and ≤ 1.5 × direct ClickHouse), and for
 *     each page what ClickHouse plans to read for it (EXPLAIN ESTIMATE: rows and granules, and the projection
 *     it chose, `user_keys` for a user's page); the loading line says what audit_events takes on disk.
 *
 * BENCH_REPS (30, after 3 warm-ups) sets the repetitions, BENCH_SEED the data set; BENCH_QUIET_MAX_S (300) how long
 * to wait for a quiet machine before timing. Today's Postgres path takes seconds for some searches at this
 * scale: its repetitions of one case stop once they have taken BENCH_PG_BUDGET_S (60) seconds (3 at least).
 * BENCH_KEEP_DB=1 keeps the Postgres database (its URL is printed). BENCH_CASES (a regex on the labels) times only
 * the cases it matches. BENCH_APP_NODE_ARGS passes Node flags to the query
 * app (`--cpu-prof --cpu-prof-dir=DIR` profiles it; its profile is written when it stops). Writes bench/results/search.json.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { readAuthConfig, TokensService } from '@audit/auth';
import { Database, readPersistenceConfig, SearchUsersRepository } from '@audit/persistence';
import { HealthRegistry } from '@audit/platform';
import { eventFilterNode } from '@audit/event-filter';
import { openClickHouse, ProjectionProgress, readClickHouseConfig, type ClickHouse } from '@audit/clickhouse';
import { EventsReadRepository, EventsSearch, pageSql, readPageRequest, readProjectedKeys, readQueryConfig, type ProjectedKeyRow } from '@audit/query';
import { createTestDatabase, startService, startTestNats, WORKSPACE_ROOT, type RunningService } from '@audit/testing';
import { percentile, waitForQuietMachine } from './cpu';
import { BenchResults } from './results';
import { getJson } from './http-sampler';
import { largestOrganization, loadPageBenchDatabase, pageBenchDataset } from './page-data';
import { progress } from './progress';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const PG_BUDGET_MS = Number(process.env.BENCH_PG_BUDGET_S ?? 60) * 1000;
const WARMUPS = 3;
const REPS = Number(process.env.BENCH_REPS ?? 30);
/** Only the cases whose label matches (BENCH_CASES, e.g. `^\((b|h)\)`), for quick tries; every case by default. */
const ONLY = new RegExp(process.env.BENCH_CASES ?? '');
/** Node's own flags for the query app (e.g. `--cpu-prof --cpu-prof-dir=DIR`: Node refuses --cpu-prof in NODE_OPTIONS). */
const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
const PAGE = 50;
const SECRET = 'bench-search-secret-bench-search-secret-01';

interface Case {
  label: string;
  search: string;
}

interface Timing {
  label: string;
  page: 1 | 5;
  search: string;
  cursor?: string;
  rows: number;
  api: number[];
  /** The page's ClickHouse statements straight to chDB (the copy of the app's directory), alternated request by request with `api`. */
  chBeside: number[];
  /** The API with nothing between its requests (no Postgres path statement just before each). */
  apiAlone: number[];
  pg: number[];
  ch: number[];
  /** What ClickHouse plans to read for the page's positions statement (EXPLAIN ESTIMATE: rows and granules, the projection's when it uses one). */
  read?: { rows: number; marks: number; table: string };
  /** EventsSearch.page in the benchmark's process (no HTTP, token or JSON), alternated with the statement in `ch`. */
  inProcess: number[];
  /** The API's parts, each timed alone after the app stopped (p50s feed the breakdown). */
  parts: { mark: number[]; users: number[]; tail: number[]; rows: number[] };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

async function main(): Promise<void> {
  const dataset = pageBenchDataset(ROWS);
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench_search');
  const chPath = mkdtempSync(path.join(tmpdir(), 'audit-bench-search-ch-'));
  const chFile = `${chPath}.tsv`;
  // The benchmark's own chDB directory: a copy of the app's, so the statements run beside the app's requests.
  const chCopy = `${chPath}-copy`;
  const results = new BenchResults('search');
  let service: RunningService | undefined;
  const cleanup = async (): Promise<void> => {
    await service?.stop();
    // BENCH_KEEP_DB=1 leaves the loaded Postgres database for EXPLAIN (ANALYZE) of the page's statements.
    if (process.env.BENCH_KEEP_DB === '1') progress(`kept the Postgres database: ${db.url}`);
    else await db.drop().catch((error: unknown) => console.error('drop failed', error));
    await nats.destroy();
    rmSync(chPath, { recursive: true, force: true });
    rmSync(chCopy, { recursive: true, force: true });
    rmSync(chFile, { force: true });
  };
  try {
    const { load } = await loadPageBenchDatabase(db.url, dataset, chFile);
    const { org, rows: orgRows } = largestOrganization(load.byOrg);
    progress(`Postgres: ${load.rows} rows in ${load.seconds.toFixed(0)} s (+ ${load.vacuumSeconds.toFixed(0)} s VACUUM ANALYZE); largest organization ${org} with ${orgRows} rows; loading ClickHouse`);
    const chLoad = await runLoader(db.url, chPath, chFile);
    rmSync(chFile, { force: true });
    progress(`ClickHouse: ${chLoad.text}`);
    // Nothing holds the directory now (the loader exited): its parts are at rest.
    const copyStarted = performance.now();
    cpSync(chPath, chCopy, { recursive: true });
    progress(`copied the ClickHouse directory for the direct statements in ${((performance.now() - copyStarted) / 1000).toFixed(1)} s`);
    const loading = `loading: generated once and COPYed into Postgres in ${load.seconds.toFixed(0)} s (the ClickHouse file written in the same pass; ${load.generatorSeconds.toFixed(0)} s of it generating), VACUUM ANALYZE ${load.vacuumSeconds.toFixed(0)} s, ClickHouse ${chLoad.text}`;
    progress(loading);
    results.figure('loading: generate + Postgres COPY (+ the ClickHouse file)', Math.round(load.seconds), 's');
    results.figure('loading: ClickHouse bulk insert of the file', Math.round(chLoad.insertSeconds), 's');
    results.figure('loading: ClickHouse OPTIMIZE FINAL', Math.round(chLoad.mergeSeconds), 's');

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(`SET statement_timeout = '60s'`);
    const cases = await chooseCases(pg, org);
    service = await startService('query', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET, CLICKHOUSE_PATH: chPath, LOG_LEVEL: 'warn' }, 180_000, undefined, APP_NODE_ARGS);
    const token = await new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET })).sign({ organizationId: org, role: 'admin', userId: 'bench-admin' }, 3600);
    const settled = await waitForQuietMachine(0.15, 3, Number(process.env.BENCH_QUIET_MAX_S ?? 300));
    progress(`the machine was ${settled.quiet ? 'quiet' : 'still busy'} after ${settled.waited.toFixed(1)} s`);
    const timings: Timing[] = [];
    const beside = await openClickHouse(readClickHouseConfig({ CLICKHOUSE_PATH: chCopy }));
    const database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await database.onModuleInit();
    try {
      const direct = directStatement(beside.client, new SearchUsersRepository(database), org);
      for (const c of cases.filter((x) => ONLY.test(x.label))) {
        for (const page of [1, 5] as const) {
          const cursor = page === 1 ? undefined : await cursorOfPage(service.url, token, c.search, page);
          if (page === 5 && cursor === undefined) continue;
          timings.push(await measureApiAndPostgres(service.url, token, pg, org, c, page, await direct(c.search, cursor), cursor));
          progress(`${c.label}, page ${page}: API, ClickHouse beside it and Postgres done`);
        }
      }
    } finally {
      await database.onApplicationShutdown();
      await beside.client.close();
    }
    await pg.end();
    await service.stop();
    service = undefined;
    await measureClickHouse(db.url, chCopy, org, timings);
    const paced = await measurePacedPages(db.url, chCopy, org, cases);
    report(org, orgRows, load.rows, loading, timings, results, paced);
  } finally {
    await cleanup();
  }
}

async function runLoader(databaseUrl: string, chPath: string, file: string): Promise<{ text: string; insertSeconds: number; mergeSeconds: number }> {
  const child = spawn(process.execPath, [path.join(WORKSPACE_ROOT, 'scripts/run.js'), 'bench/search-clickhouse-load.ts'], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, CLICKHOUSE_PATH: chPath, BENCH_CH_FILE: file },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const m = /loaded (\d+) ([\d.]+) ([\d.]+)/.exec(out);
  if (code !== 0 || !m) throw new Error(`the ClickHouse loader exited with ${code}: ${out}`);
  const storage = /^storage (.*)$/m.exec(out)?.[1];
  return {
    text: `${m[1]} rows inserted from the file in ${m[2]} s, parts merged (OPTIMIZE FINAL) in ${m[3]} s${storage ? `; on disk: ${storage}` : ''}`,
    insertSeconds: Number(m[2]),
    mergeSeconds: Number(m[3]),
  };
}

/** Searches with real answers for the organization. */
async function chooseCases(pg: Client, org: string): Promise<Case[]> {
  const types = await pg.query<{ actionType: string; n: string }>(`SELECT "actionType", count(*) AS n FROM audit_trail_events WHERE "organizationId" = $1 GROUP BY 1 ORDER BY 2 DESC`, [org]);
  const users = await pg.query<{ email: string; n: string }>(
    `SELECT u.email, count(*) AS n FROM audit_trail_events a JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"
      WHERE a."organizationId" = $1 GROUP BY 1 ORDER BY 2 DESC`,
    [org],
  );
  const paged = users.rows.filter((u) => Number(u.n) > 5 * PAGE);
  const user = paged[Math.floor(paged.length / 2)] ?? users.rows[0];
  const ip = await pg.query<{ ip: string }>(`SELECT "ipAddress" AS ip FROM audit_trail_events WHERE "organizationId" = $1 AND "ipAddress" LIKE '%.%.%.%' LIMIT 1`, [org]);
  const cidr = `${ip.rows[0].ip.split('.').slice(0, 3).join('.')}.0/24`;
  const term = await pg.query<{ term: string }>(
    `SELECT substring(metadata->>'query' from 'from ([a-z_]+)') AS term FROM audit_trail_events WHERE "organizationId" = $1 AND "actionType" = 'QUERY_RUN' AND metadata ? 'query' LIMIT 1`,
    [org],
  );
  const type = types.rows[Math.min(2, types.rows.length - 1)];
  return [
    { label: '(a) no filter', search: 'created:>2000-01-01' },
    { label: `(b) one action (${type.actionType})`, search: `action:${type.actionType}` },
    { label: `(c) one user (${user.n} events)`, search: `user:${user.email}` },
    { label: `(d) a CIDR (${cidr})`, search: `ip:${cidr}` },
    { label: '(e) free text matching many', search: term.rows[0]?.term ?? 'payments' },
    { label: '(f) free text matching nothing', search: 'zqxjkvnothing' },
    { label: '(g) a 1-year window', search: 'created:>-365d' },
    { label: '(h) a 24-hour window', search: 'created:-3d..-2d' },
  ];
}

const qs = (search: string, cursor?: string): string => new URLSearchParams({ search, limit: String(PAGE), ...(cursor ? { cursor } : {}) }).toString();

async function apiPage(base: string, token: string, search: string, cursor?: string): Promise<{ items: unknown[]; nextCursor?: string }> {
  return (await getJson(`${base}/v1/events?${qs(search, cursor)}`, { authorization: `Bearer ${token}` }, agent)) as { items: unknown[]; nextCursor?: string };
}

async function cursorOfPage(base: string, token: string, search: string, page: number): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let i = 1; i < page; i++) {
    cursor = (await apiPage(base, token, search, cursor)).nextCursor;
    if (!cursor) return undefined;
  }
  return cursor;
}

/** A page's ClickHouse statements (readProjectedKeys, the users resolved as the app does) on `client`, for one search and cursor. */
function directStatement(client: ClickHouse['client'], users: SearchUsersRepository, org: string): (search: string, cursor?: string) => Promise<() => Promise<unknown>> {
  const config = readQueryConfig({});
  const run = async (query: string, params: Record<string, unknown>): Promise<ProjectedKeyRow[]> =>
    (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<ProjectedKeyRow>();
  return async (search, cursor) => {
    const { filter, after } = readPageRequest({ search, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const node = eventFilterNode(filter);
    const resolved = await users.resolve(org, node);
    return () => readProjectedKeys(run, org, node, resolved, PAGE + 1, after, config);
  };
}

/**
 * The API, the same ClickHouse statements straight to chDB (`statement`, on the copy) and today's Postgres
 * path (the page SQL, the search compiled for Postgres), interleaved; the API and the statement swap order
 * each round, so neither always runs right after the Postgres path's statement.
 */
async function measureApiAndPostgres(base: string, token: string, pg: Client, org: string, c: Case, page: 1 | 5, statement: () => Promise<unknown>, cursor?: string): Promise<Timing> {
  const { filter, limit, after } = readPageRequest({ search: c.search, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
  const { sql, params } = pageSql(org, filter, limit, after);
  const api: number[] = [];
  const chBeside: number[] = [];
  const direct: number[] = [];
  let rows = 0;
  let pgSpent = 0;
  for (let i = 0; i < WARMUPS + REPS; i++) {
    const viaApi = async (): Promise<void> => {
      const t = performance.now();
      const body = await apiPage(base, token, c.search, cursor);
      if (i >= WARMUPS) api.push(performance.now() - t);
      rows = body.items.length;
    };
    const straight = async (): Promise<void> => {
      const t = performance.now();
      await statement();
      if (i >= WARMUPS) chBeside.push(performance.now() - t);
    };
    for (const step of i % 2 === 0 ? [viaApi, straight] : [straight, viaApi]) await step();
    // Postgres' budget spent (its warm-ups included), its remaining repetitions of this case are skipped.
    if (pgSpent > PG_BUDGET_MS && direct.length >= 3) continue;
    const p = performance.now();
    const result = await pg.query(sql, params);
    const pgMs = performance.now() - p;
    pgSpent += pgMs;
    if (i >= WARMUPS) direct.push(pgMs);
    if (Math.min(result.rows.length, PAGE) !== rows) throw new Error(`${c.label} page ${page}: the API gave ${rows} rows, Postgres ${result.rows.length}`);
  }
  // The same requests back to back: whether the Postgres path's statement before each (seconds of scanning
  // for free text that matches nothing) changes what the API takes. Past SEARCH_MARK_REUSE apart, pages
  // take the stale-mark path; back to back, the reused one.
  const apiAlone: number[] = [];
  for (let i = 0; i < WARMUPS + REPS; i++) {
    const t = performance.now();
    await apiPage(base, token, c.search, cursor);
    if (i >= WARMUPS) apiAlone.push(performance.now() - t);
  }
  return { label: c.label, page, search: c.search, cursor, rows, api, chBeside, apiAlone, pg: direct, ch: [], inProcess: [], parts: { mark: [], users: [], tail: [], rows: [] } };
}

/**
 * The same ClickHouse statements the API ran (users resolved the same way), straight to chDB through the
 * connection the app opens (openClickHouse: the same process-wide statement chain), alternated request by
 * request with EventsSearch.page in this process, so both see the same load; then, each alone, the other
 * parts of a page as EventsSearch runs them: the projector's mark (chDB), the users' look-up, the Postgres
 * tail (events received after the mark less SEARCH_FRESHNESS_MARGIN) and the rows by id from Postgres.
 */
async function measureClickHouse(databaseUrl: string, chPath: string, org: string, timings: Timing[]): Promise<void> {
  const { client } = await openClickHouse(readClickHouseConfig({ CLICKHOUSE_PATH: chPath }));
  const database = new Database(readPersistenceConfig({ DATABASE_URL: databaseUrl }), new HealthRegistry());
  await database.onModuleInit();
  const config = readQueryConfig({});
  const users = new SearchUsersRepository(database);
  const events = new EventsReadRepository(database);
  // ProjectionProgress and EventsSearch read through `client` alone; `mode` as the app's.
  const ch = { client, mode: 'embedded' } as unknown as ClickHouse;
  const progressOf = new ProjectionProgress(ch);
  const search = new EventsSearch(ch, new ProjectionProgress(ch), events, users, config);
  const timed = async <T>(into: number[], i: number, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await run();
    if (i >= WARMUPS) into.push(performance.now() - start);
    return value;
  };
  try {
    for (const t of timings) {
      const { filter, after } = readPageRequest({ search: t.search, limit: String(PAGE), ...(t.cursor ? { cursor: t.cursor } : {}) });
      const node = eventFilterNode(filter);
      const resolved = await users.resolve(org, node);
      const run = async (query: string, params: Record<string, unknown>): Promise<ProjectedKeyRow[]> =>
        (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<ProjectedKeyRow>();
      let keys: Array<{ id: string; createdAt: string }> = [];
      for (let i = 0; i < WARMUPS + REPS; i++) {
        const statement = (): Promise<unknown> => timed(t.ch, i, async () => (keys = await readProjectedKeys(run, org, node, resolved, PAGE + 1, after, config)));
        const page = (): Promise<unknown> => timed(t.inProcess, i, () => search.page(org, filter, PAGE, after));
        for (const step of i % 2 === 0 ? [statement, page] : [page, statement]) await step();
      }
      t.read = await estimateRead(client, (runner) => readProjectedKeys(runner, org, node, resolved, PAGE + 1, after, config).then(() => undefined), run);
      const ids = keys.slice(0, PAGE).map((k) => k.id);
      const times = keys.slice(0, PAGE).map((k) => Date.parse(`${k.createdAt.slice(0, 23).replace(' ', 'T')}Z`));
      for (let i = 0; i < WARMUPS + REPS; i++) {
        const mark = await timed(t.parts.mark, i, () => progressOf.watermark());
        await timed(t.parts.users, i, () => users.resolve(org, node));
        await timed(t.parts.tail, i, () => events.recentKeys(org, filter, new Date((mark ?? 0) - config.searchFreshnessMarginMs), PAGE + 1, after));
        if (ids.length > 0) await timed(t.parts.rows, i, () => events.summariesByIds(org, filter, ids, new Date(Math.min(...times)), new Date(Math.max(...times) + 1)));
      }
      progress(`${t.label}, page ${t.page}: ClickHouse done`);
    }
  } finally {
    await database.onApplicationShutdown();
    await client.close();
  }
}

/** EventsSearch.page of one search, first page, with pages further apart than SEARCH_MARK_REUSE: stale mark used at once vs waited for. */
interface Paced {
  label: string;
  gapMs: number;
  stale: number[];
  waited: number[];
}

const PACED_GAP_MS = 1_200;
const PACED_REPS = Number(process.env.BENCH_PACED_REPS ?? 10);

/**
 * A console paged by a person: pages further apart than SEARCH_MARK_REUSE (1 s), where the mark is no
 * longer fresh. Two EventsSearch of this process, one with SEARCH_MARK_STALE at its default (the reused
 * mark serves the page, the next is read once its statement answered) and one with 0 (the page waits for the mark's
 * chDB statement before its own), alternated page by page so both see the same load.
 */
async function measurePacedPages(databaseUrl: string, chPath: string, org: string, cases: Case[]): Promise<Paced[]> {
  const { client } = await openClickHouse(readClickHouseConfig({ CLICKHOUSE_PATH: chPath }));
  const database = new Database(readPersistenceConfig({ DATABASE_URL: databaseUrl }), new HealthRegistry());
  await database.onModuleInit();
  const ch = { client, mode: 'embedded' } as unknown as ClickHouse;
  const config = readQueryConfig({});
  const users = new SearchUsersRepository(database);
  const events = new EventsReadRepository(database);
  const stale = new EventsSearch(ch, new ProjectionProgress(ch), events, users, config);
  const waited = new EventsSearch(ch, new ProjectionProgress(ch), events, users, { ...config, searchMarkStaleMs: 0 });
  const out: Paced[] = [];
  try {
    for (const c of cases.filter((x) => /^\((a|b|g|h)\)/.test(x.label) && ONLY.test(x.label))) {
      const { filter } = readPageRequest({ search: c.search, limit: String(PAGE) });
      const p: Paced = { label: c.label, gapMs: PACED_GAP_MS, stale: [], waited: [] };
      for (let i = 0; i < 1 + PACED_REPS; i++) {
        for (const [search, into] of i % 2 === 0 ? ([[stale, p.stale], [waited, p.waited]] as const) : ([[waited, p.waited], [stale, p.stale]] as const)) {
          await new Promise((resolve) => setTimeout(resolve, PACED_GAP_MS / 2));
          const start = performance.now();
          await search.page(org, filter, PAGE);
          // The first round reads both marks for the first time (nothing to reuse yet).
          if (i > 0) into.push(performance.now() - start);
        }
      }
      out.push(p);
      progress(`${c.label}: pages ${PACED_GAP_MS} ms apart done`);
    }
  } finally {
    await database.onApplicationShutdown();
    await client.close();
  }
  return out;
}

/**
 * EXPLAIN ESTIMATE of the first statement a page runs (captured from the very call the timings made): the rows
 * and granules ClickHouse plans to read, and from what (`audit_events`, or the projection it chose).
 */
async function estimateRead(
  client: ClickHouse['client'],
  page: (run: (query: string, params: Record<string, unknown>) => Promise<ProjectedKeyRow[]>) => Promise<void>,
  run: (query: string, params: Record<string, unknown>) => Promise<ProjectedKeyRow[]>,
): Promise<{ rows: number; marks: number; table: string }> {
  let first: { query: string; params: Record<string, unknown> } | undefined;
  await page((query, params) => {
    first ??= { query, params };
    return run(query, params);
  });
  if (!first) throw new Error('the page ran no ClickHouse statement');
  const plan = await (await client.query({ query: `EXPLAIN ESTIMATE ${first.query}`, query_params: first.params, format: 'JSONEachRow' })).json<{ table: string; rows: string; marks: string }>();
  const projection = (await (await client.query({ query: `EXPLAIN projections = 1 ${first.query}`, query_params: first.params, format: 'JSONEachRow' })).json<{ explain: string }>())
    .map((line) => /ReadFromMergeTree \((\w+)\)/.exec(line.explain)?.[1])
    .find((name) => name !== undefined && name !== 'audit_events' && !name.includes('.'));
  return {
    rows: plan.reduce((n, p) => n + Number(p.rows), 0),
    marks: plan.reduce((n, p) => n + Number(p.marks), 0),
    table: projection ?? 'table',
  };
}

function report(org: string, orgRows: number, rows: number, loading: string, timings: Timing[], results: BenchResults, paced: Paced[]): void {
  const ms = (x: number): string => x.toFixed(1).padStart(8);
  const out: string[] = [''];
  out.push(`bench:search — scale: ${rows} events (largest organization ${org}: ${orgRows}); ClickHouse: embedded chDB`);
  out.push(loading);
  out.push(`${REPS} repetitions after ${WARMUPS} warm-ups, ${PAGE} rows a page; API, ClickHouse and Postgres interleaved (ClickHouse on a copy of the app's directory: one chDB process per directory)`);
  out.push('API: GET /v1/events?search= of the query app (token, parsing, users looked up in Postgres, ClickHouse positions, the merge read of what the projector has not written, rows from Postgres by id, JSON, the PAGE_VIEW it records)');
  out.push('ClickHouse: the same positions statements (readProjectedKeys) sent straight to chDB through the connection the app opens (openClickHouse), on a copy of its directory, alternated request by request with the API; Postgres: today\'s path, the page SQL with the search compiled for Postgres');
  out.push('page: EventsSearch.page in the benchmark\'s process (the API less HTTP, token, Nest and JSON) after the app stopped, alternated request by request with the ClickHouse statement (its p95 in "CH′ p95"), so page÷CH′ compares the two under the same load');
  out.push('');
  out.push(`${'case'.padEnd(40)} page rows  API p50  API p95   CH p50   CH p95 page p50 page p95  CH′ p95   PG p50   PG p95  PG n  API÷CH p95 page÷CH′ p95  target (API p95 ≤ 150 ms, ≤ 1.5× CH)  CH reads (EXPLAIN ESTIMATE)`);
  for (const t of timings) {
    const [a, c, p, inProcess, after] = [sorted(t.api), sorted(t.chBeside), sorted(t.pg), sorted(t.inProcess), sorted(t.ch)];
    const a95 = percentile(a, 95);
    const c95 = percentile(c, 95);
    const after95 = percentile(after, 95);
    const verdict = a95 <= 150 && a95 <= 1.5 * c95 ? 'met' : a95 <= 150 ? 'MISSED (ratio)' : 'MISSED';
    out.push(
      `${t.label.slice(0, 40).padEnd(40)} ${String(t.page).padStart(4)} ${String(t.rows).padStart(4)} ${ms(percentile(a, 50))} ${ms(a95)} ${ms(percentile(c, 50))} ${ms(c95)} ${ms(percentile(inProcess, 50))} ${ms(percentile(inProcess, 95))} ${ms(after95)} ${ms(percentile(p, 50))} ${ms(percentile(p, 95))} ${String(p.length).padStart(5)} ${(a95 / c95).toFixed(2).padStart(11)} ${(percentile(inProcess, 95) / after95).toFixed(2).padStart(13)}  ${verdict.padEnd(36)} ${t.read ? `${t.read.rows} rows, ${t.read.marks} granules (${t.read.table})` : ''}`,
    );
    if (t.read) results.note(`${t.label}, page ${t.page}: ClickHouse plans to read ${t.read.rows} rows in ${t.read.marks} granules of ${t.read.table === 'table' ? 'audit_events' : `its projection ${t.read.table}`}`);
    const round = (x: number): number => Math.round(x * 10) / 10;
    const name = `${t.label}, page ${t.page}`;
    results.figure(`${name}: API p95 (${verdict})`, round(a95), 'ms', { name: 'the same statement straight to ClickHouse, alternated with the API, p95', value: round(c95), unit: 'ms' });
    results.figure(`${name}: API p50`, round(percentile(a, 50)), 'ms', { name: 'ClickHouse p50', value: round(percentile(c, 50)), unit: 'ms' });
    results.figure(`${name}: EventsSearch.page in-process p95`, round(percentile(inProcess, 95)), 'ms', { name: 'the statement alternated with it (the app stopped), p95', value: round(after95), unit: 'ms' });
    // Until this run's change, API÷CH took CH from after the app had stopped: kept to compare the two ways.
    results.figure(`${name}: API p95 ÷ the statement's p95 timed after the app stopped`, Math.round((a95 / after95) * 100) / 100, '×');
    results.figure(`${name}: today's Postgres path p95 (${p.length} runs)`, round(percentile(p, 95)), 'ms');
  }
  out.push('');
  out.push('Where a page\'s time goes (p50 of each part timed alone after the app stopped, ClickHouse keys beside the API; the mark is read in the background (SEARCH_MARK_REUSE 1 s, then used up to SEARCH_MARK_STALE 10 s while the next is read after the page statement), not on a page\'s path, so a page runs [users → ClickHouse keys] ‖ Postgres tail, then rows by id; "rest" is the API less that path: HTTP, token, parsing, JSON, the PAGE_VIEW it records)');
  out.push(`${'case'.padEnd(40)} page      API API alone   mark    users  CH keys  PG tail  PG rows     rest`);
  for (const t of timings) {
    const p50 = (xs: number[]): number => (xs.length ? percentile(sorted(xs), 50) : 0);
    const [api, alone, mark, users, keys, tail, byId] = [p50(t.api), p50(t.apiAlone), p50(t.parts.mark), p50(t.parts.users), p50(t.chBeside), p50(t.parts.tail), p50(t.parts.rows)];
    const rest = api - (Math.max(users + keys, tail) + byId);
    out.push(`${t.label.slice(0, 40).padEnd(40)} ${String(t.page).padStart(4)} ${ms(api)} ${ms(alone).padStart(9)} ${ms(mark)} ${ms(users)} ${ms(keys)} ${ms(tail)} ${ms(byId)} ${ms(rest)}`);
    results.figure(`${t.label}, page ${t.page}: API p50 with requests back to back`, Math.round(alone * 10) / 10, 'ms', { name: 'API p50 interleaved with the Postgres path', value: Math.round(api * 10) / 10, unit: 'ms' });
    results.note(`${t.label}, page ${t.page}, p50 in ms: API ${api.toFixed(1)} (back to back ${alone.toFixed(1)}) = (users ${users.toFixed(1)} → ClickHouse keys ${keys.toFixed(1)}) ‖ Postgres tail ${tail.toFixed(1)}, rows by id ${byId.toFixed(1)}, rest ${rest.toFixed(1)}; the mark (${mark.toFixed(1)}) once a second`);
  }
  out.push('');
  out.push(`Pages ${PACED_GAP_MS} ms apart (past SEARCH_MARK_REUSE), page 1, EventsSearch.page in this process, ${PACED_REPS} each, alternated: the reused mark used at once while the next is read once its statement answered (SEARCH_MARK_STALE 10s) vs the page waiting for the read (0)`);
  out.push(`${'case'.padEnd(40)}  stale p50 stale p95 waited p50 waited p95`);
  for (const p of paced) {
    const [a, b] = [sorted(p.stale), sorted(p.waited)];
    out.push(`${p.label.slice(0, 40).padEnd(40)} ${ms(percentile(a, 50))}  ${ms(percentile(a, 95))}  ${ms(percentile(b, 50))}  ${ms(percentile(b, 95))}`);
    const round = (x: number): number => Math.round(x * 10) / 10;
    results.figure(`${p.label}, page 1, pages ${PACED_GAP_MS} ms apart: p50 with the stale mark (SEARCH_MARK_STALE 10s)`, round(percentile(a, 50)), 'ms', {
      name: 'waiting for the mark (SEARCH_MARK_STALE 0), p50',
      value: round(percentile(b, 50)),
      unit: 'ms',
    });
  }
  process.stdout.write(`${out.join('\n')}\n`);
  results.note(`${rows} events, the largest organization (${org}) ${orgRows}; every search of that organization; ${REPS} repetitions after ${WARMUPS} warm-ups, ${PAGE} rows a page`);
  results.note(loading);
  results.note('API: GET /v1/events?search= of the query app; ClickHouse: the same positions statements (readProjectedKeys) straight to chDB through the connection the app opens (the app stopped), alternated with EventsSearch.page in the same process; Postgres: the page SQL with the search compiled for Postgres');
  results.write();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
