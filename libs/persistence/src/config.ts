import { readConfig } from '@audit/platform';

export interface PersistenceConfig {
  databaseUrl: string;
  /** Connections for the hot write path (pg); TypeORM keeps its own small pool for the rest. */
  poolSize: number;
  /**
   * The longest an administrator's read (a page of events, one event, the user list) may run in
   * Postgres before it is stopped (`PG_READ_TIMEOUT_MS`, 0 for no limit): a free-text search over
   * years of a large organization's events must not hold a connection, and the pool, for minutes.
   */
  readTimeoutMs: number;
  /**
   * Client-side limit on the write path's short statements (`PG_QUERY_TIMEOUT_MS`, 0 for none): after a
   * network partition heals, a statement whose bytes were lost would otherwise hold its connection until
   * TCP gives up. Statements that may rightly run long (exports, retention, rebuilds, migrations,
   * administrators' reads, which `PG_READ_TIMEOUT_MS` bounds in Postgres) opt out.
   */
  queryTimeoutMs: number;
  /** The longest opening a connection may take (`PG_CONNECT_TIMEOUT_MS`). */
  connectTimeoutMs: number;
  /**
   * How many times start-up tries to reach Postgres, with backoff, before it fails (`PG_CONNECT_ATTEMPTS`):
   * a service waits for a Postgres that starts after it (about two minutes by default); the CLI fails fast.
   */
  connectAttempts: number;
  /** Idle time before the first TCP keepalive probe on every Postgres connection (`PG_KEEPALIVE_DELAY_MS`). */
  keepAliveDelayMs: number;
  /** Monthly partitions kept created ahead of the current month. */
  partitionMonthsAhead: number;
  /**
   * Global retention default in days (`AUDIT_RETENTION_DAYS`); 0 keeps forever. Organizations may
   * override it (retention_policies). Read here so every service that judges a date against
   * retention (the retention service, the exporter) sees the same value.
   */
  retentionDays: number;
  /**
   * Whether a service applies pending migrations, Postgres' and ClickHouse's, when it starts
   * (`MIGRATE_ON_START`, default true; false where a migration job or `npm run cli -- migrate` runs them).
   */
  migrateOnStart: boolean;
}

export const PERSISTENCE_CONFIG = Symbol('PERSISTENCE_CONFIG');

export const readPersistenceConfig = (source: Record<string, string | undefined> = process.env): PersistenceConfig =>
  readConfig(
    (env) => ({
      databaseUrl: env.url('DATABASE_URL', ['postgres:', 'postgresql:']) ?? 'postgres://postgres@127.0.0.1:5432/audit',
      poolSize: env.int('PG_POOL_SIZE', 10, { min: 1, max: 200 }),
      readTimeoutMs: env.int('PG_READ_TIMEOUT_MS', 15_000, { min: 0, max: 3_600_000 }),
      queryTimeoutMs: env.int('PG_QUERY_TIMEOUT_MS', 30_000, { min: 0, max: 3_600_000 }),
      connectTimeoutMs: env.int('PG_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 600_000 }),
      connectAttempts: env.int('PG_CONNECT_ATTEMPTS', 30, { min: 1, max: 10_000 }),
      keepAliveDelayMs: env.int('PG_KEEPALIVE_DELAY_MS', 10_000, { min: 1_000, max: 3_600_000 }),
      partitionMonthsAhead: env.int('PARTITION_MONTHS_AHEAD', 3, { min: 1, max: 24 }),
      retentionDays: env.int('AUDIT_RETENTION_DAYS', 365, { min: 0, max: 36_500 }),
      migrateOnStart: env.bool('MIGRATE_ON_START', true),
    }),
    source,
  );
