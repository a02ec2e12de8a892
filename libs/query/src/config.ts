import path from 'node:path';
import { readConfig } from '@audit/platform';

export interface QueryConfig {
  /** The built console (`vite build` output) served at /audit. */
  consoleDir: string;
  /**
   * How far before the projector's high-water mark a search still reads Postgres: events committed to
   * ClickHouse out of receipt order (a batch retried while later ones went through, ingest replicas
   * publishing with some delay) are found there until the projector has them.
   */
  searchFreshnessMarginMs: number;
  /** The most rows of ClickHouse one search may read; past it the search answers 400 with advice to narrow it. */
  searchMaxRows: number;
  /** The longest one search may run in ClickHouse before it answers 504. */
  searchTimeoutMs: number;
}

export const QUERY_CONFIG = Symbol('QUERY_CONFIG');

export const readQueryConfig = (source: Record<string, string | undefined> = process.env): QueryConfig =>
  readConfig(
    (env) => ({
      consoleDir: path.resolve(env.string('CONSOLE_DIR', 'dist/apps/console')),
      searchFreshnessMarginMs: env.duration('SEARCH_FRESHNESS_MARGIN', '60s'),
      searchMaxRows: env.int('SEARCH_MAX_ROWS', 200_000_000, { min: 1 }),
      searchTimeoutMs: env.duration('SEARCH_TIMEOUT', '15s'),
    }),
    source,
  );
