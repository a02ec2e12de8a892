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
      partitionMonthsAhead: env.int('PARTITION_MONTHS_AHEAD', 3, { min: 1, max: 24 }),
      retentionDays: env.int('AUDIT_RETENTION_DAYS', 365, { min: 0, max: 36_500 }),
      migrateOnStart: env.bool('MIGRATE_ON_START', true),
    }),
    source,
  );
