import path from 'node:path';
import { readConfig } from '@audit/platform';
import { CLUSTER_NAME } from './schema-layout';

export interface ClickHouseConfig {
  /** A ClickHouse server over HTTP; when unset, embedded ClickHouse (chDB) with data under `path`. */
  url?: string;
  username: string;
  password: string;
  database: string;
  path: string;
  /**
   * The ClickHouse cluster (remote_servers) whose replicas hold the projection: the schema is created
   * ON CLUSTER with Replicated* engines and inserts wait for every replica (see schema-layout.ts).
   * Unset: one server or embedded chDB, with the migration files exactly as written.
   */
  cluster?: string;
  /**
   * The niceness embedded chDB runs this thread's statements at (CLICKHOUSE_EMBEDDED_NICENESS, 0-19; 0 is
   * the process's priority). Unset: the opening thread's own niceness when it runs below the process's main
   * thread (the standalone's consumers thread), else 0. See embeddedStatementNiceness.
   */
  embeddedNiceness?: number;
}

export const CLICKHOUSE_CONFIG = Symbol('CLICKHOUSE_CONFIG');

export const readClickHouseConfig = (source: Record<string, string | undefined> = process.env): ClickHouseConfig =>
  readConfig((env) => {
    const database = env.string('CLICKHOUSE_DATABASE', 'audit');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) env.problem(`CLICKHOUSE_DATABASE must be an identifier (got "${database}")`);
    const url = env.url('CLICKHOUSE_URL', ['http:', 'https:']);
    const cluster = env.optional('CLICKHOUSE_CLUSTER');
    if (cluster !== undefined && !CLUSTER_NAME.test(cluster)) env.problem(`CLICKHOUSE_CLUSTER must be a cluster name (letters, digits, _ . -; got "${cluster}")`);
    // Embedded chDB is one process's ClickHouse: it has no replicas and no Keeper to replicate through.
    if (cluster !== undefined && !env.raw('CLICKHOUSE_URL')) env.problem('CLICKHOUSE_CLUSTER needs a ClickHouse server (CLICKHOUSE_URL): embedded chDB has no cluster');
    const niceness = env.raw('CLICKHOUSE_EMBEDDED_NICENESS') === undefined ? undefined : env.int('CLICKHOUSE_EMBEDDED_NICENESS', 0, { min: 0, max: 19 });
    // A server schedules its own threads: the variable would silently do nothing there.
    if (niceness !== undefined && env.raw('CLICKHOUSE_URL')) env.problem('CLICKHOUSE_EMBEDDED_NICENESS applies to embedded chDB only: unset it, or CLICKHOUSE_URL');
    return {
      url,
      username: env.string('CLICKHOUSE_USER', 'default'),
      password: env.string('CLICKHOUSE_PASSWORD', ''),
      database,
      path: path.resolve(env.string('CLICKHOUSE_PATH', path.join(env.string('DATA_DIR', '.data'), 'clickhouse'))),
      ...(cluster !== undefined && CLUSTER_NAME.test(cluster) ? { cluster } : {}),
      ...(niceness !== undefined ? { embeddedNiceness: niceness } : {}),
    };
  }, source);
