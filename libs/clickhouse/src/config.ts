import path from 'node:path';
import { readConfig } from '@audit/platform';

export interface ClickHouseConfig {
  /** A ClickHouse server over HTTP; when unset, embedded ClickHouse (chDB) with data under `path`. */
  url?: string;
  username: string;
  password: string;
  database: string;
  path: string;
}

export const CLICKHOUSE_CONFIG = Symbol('CLICKHOUSE_CONFIG');

export const readClickHouseConfig = (source: Record<string, string | undefined> = process.env): ClickHouseConfig =>
  readConfig((env) => {
    const database = env.string('CLICKHOUSE_DATABASE', 'audit');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) env.problem(`CLICKHOUSE_DATABASE must be an identifier (got "${database}")`);
    return {
      url: env.url('CLICKHOUSE_URL', ['http:', 'https:']),
      username: env.string('CLICKHOUSE_USER', 'default'),
      password: env.string('CLICKHOUSE_PASSWORD', ''),
      database,
      path: path.resolve(env.string('CLICKHOUSE_PATH', path.join(env.string('DATA_DIR', '.data'), 'clickhouse'))),
    };
  }, source);
