import path from 'node:path';
import { readConfig } from '@audit/platform';

export interface QueryConfig {
  /** Record administrators' reads (console and API) as PAGE_VIEW events of pageName "audit". */
  auditReads: boolean;
  /** One record per distinct view per administrator per window of this length (aligned on the clock). */
  readViewWindowMs: number;
  /** The built console (`vite build` output) served at /audit. */
  consoleDir: string;
}

export const QUERY_CONFIG = Symbol('QUERY_CONFIG');

export const readQueryConfig = (source: Record<string, string | undefined> = process.env): QueryConfig =>
  readConfig((env) => {
    const readViewWindowMs = env.duration('AUDIT_READ_WINDOW', '5m');
    if (readViewWindowMs < 1000) env.problem(`AUDIT_READ_WINDOW must be at least 1s (got ${readViewWindowMs} ms)`);
    return {
      auditReads: env.bool('AUDIT_READS', true),
      readViewWindowMs,
      consoleDir: path.resolve(env.string('CONSOLE_DIR', 'dist/apps/console')),
    };
  }, source);
