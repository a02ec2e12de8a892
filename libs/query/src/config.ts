import path from 'node:path';
import { readSearchBounds, type SearchBounds } from '@audit/clickhouse';
import { readConfig } from '@audit/platform';

/** SEARCH_MAX_ROWS and SEARCH_TIMEOUT (`SearchBounds`, shared with the analytics API) and the query service's own settings. */
export interface QueryConfig extends SearchBounds {
  /** The built console (`vite build` output) served at /audit. */
  consoleDir: string;
  /**
   * How far before the projector's high-water mark a search still reads Postgres: events committed to
   * ClickHouse out of receipt order (a batch retried while later ones went through, ingest replicas
   * publishing with some delay) are found there until the projector has them.
   */
  searchFreshnessMarginMs: number;
  /**
   * How long a search reuses the projector's mark it read, on embedded ClickHouse (0: read it for every
   * page). Any value is safe (an older mark only widens the Postgres tail; a rebuild invalidates it, see
   * ProjectionProgress.searchMark); longer saves more reads and makes the tail longer.
   */
  searchMarkReuseMs: number;
  /**
   * Past SEARCH_MARK_REUSE and up to this age, a page still uses the reused mark at once while a fresh one
   * is read for the next pages, after the page's own statement (0: every page past the reuse waits for the read), so a
   * console paged every few seconds does not wait for a chDB statement before each search's own. Safe at
   * any value, as the reuse; bounded like it, since the tail a page reads grows with the mark's age.
   */
  searchMarkStaleMs: number;
  /** Live tails (`GET /v1/events/stream`) one organization may hold open at once in this process; past it 429. */
  liveTailMaxPerOrg: number;
  /** Live tails this process holds open at once, all organizations together; past it 429. */
  liveTailMaxPerProcess: number;
  /** How often an idle live tail sends a heartbeat, so proxies keep it open and the client knows it is alive. */
  liveTailHeartbeatMs: number;
}

export const QUERY_CONFIG = Symbol('QUERY_CONFIG');

/** The longest SEARCH_MARK_REUSE: past it the Postgres tail a page reads grows by a minute of events. */
const MAX_MARK_REUSE_MS = 60_000;

function markReuse(name: string, ms: number, env: { problem(message: string): void }): number {
  if (ms > MAX_MARK_REUSE_MS) env.problem(`${name} must be at most 60s (got ${ms} ms)`);
  return Math.min(ms, MAX_MARK_REUSE_MS);
}

export const readQueryConfig = (source: Record<string, string | undefined> = process.env): QueryConfig =>
  readConfig(
    (env) => ({
      consoleDir: path.resolve(env.string('CONSOLE_DIR', 'dist/apps/console')),
      searchFreshnessMarginMs: env.duration('SEARCH_FRESHNESS_MARGIN', '60s'),
      searchMarkReuseMs: markReuse('SEARCH_MARK_REUSE', env.duration('SEARCH_MARK_REUSE', '1s'), env),
      searchMarkStaleMs: markReuse('SEARCH_MARK_STALE', env.duration('SEARCH_MARK_STALE', '10s'), env),
      ...readSearchBounds(env),
      liveTailMaxPerOrg: env.int('LIVE_TAIL_MAX_PER_ORG', 10, { min: 1 }),
      liveTailMaxPerProcess: env.int('LIVE_TAIL_MAX_PER_PROCESS', 200, { min: 1 }),
      liveTailHeartbeatMs: env.timer('LIVE_TAIL_HEARTBEAT', '15s', { min: 100 }),
    }),
    source,
  );
