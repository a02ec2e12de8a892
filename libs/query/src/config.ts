import path from 'node:path';
import { readConfig } from '@audit/platform';

export interface QueryConfig {
  /** The built console (`vite build` output) served at /audit. */
  consoleDir: string;
}

export const QUERY_CONFIG = Symbol('QUERY_CONFIG');

export const readQueryConfig = (source: Record<string, string | undefined> = process.env): QueryConfig =>
  readConfig((env) => ({ consoleDir: path.resolve(env.string('CONSOLE_DIR', 'dist/apps/console')) }), source);
