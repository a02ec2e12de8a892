import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Pool, type PoolClient, type QueryResultRow } from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { AppError, HealthRegistry, backoffMs, sleep } from '@audit/platform';
import { PERSISTENCE_CONFIG, type PersistenceConfig } from './config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** Arbitrary constant: the advisory lock every replica takes before applying migrations. */
const MIGRATION_LOCK_KEY = 7_204_391_001;

/** `migrations` is every migration but in a test that starts from an older schema. */
export function createDataSource(url: string, poolSize = 5, migrations: Array<new () => MigrationInterface> = MIGRATIONS): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize },
  });
}

/**
 * Applies pending migrations once across replicas: the first to take the advisory lock migrates,
 * the others wait for it and then find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * The process's Postgres: TypeORM for everything but the hot paths, and a plain pg pool for batch
 * writes and event pages. Waits for the database at start, migrates under a lock, closes both pools on shutdown.
 */
@Injectable()
export class Database implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);
  readonly dataSource: DataSource;
  readonly pool: Pool;
  /** Opened on the first {@link read}: processes that never serve administrators' reads never connect it. */
  private reads?: Pool;

  constructor(
    @Inject(PERSISTENCE_CONFIG) private readonly config: PersistenceConfig,
    private readonly health: HealthRegistry,
  ) {
    this.dataSource = createDataSource(config.databaseUrl);
    this.pool = new Pool({ connectionString: config.databaseUrl, max: config.poolSize, connectionTimeoutMillis: 5_000 });
    // An idle client dies when Postgres restarts; the pool replaces it. Without a listener the process would crash.
    this.pool.on('error', (error) => this.logger.warn({ msg: 'idle Postgres client failed', error: error.message }));
  }

  async onModuleInit(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.initialize();
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        this.logger.warn({ msg: 'Postgres not reachable yet; retrying', attempt, error: (error as Error).message });
        await sleep(backoffMs(attempt, 500, 5_000));
      }
    }
    if (this.config.migrateOnStart) {
      const applied = await runMigrations(this.dataSource);
      if (applied.length > 0) this.logger.log({ msg: 'migrations applied', migrations: applied });
    }
    this.health.register('postgres', async () => {
      await this.pool.query('SELECT 1');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await this.reads?.end().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /**
   * Runs one administrator read (a page of events, an event, the user list) on a pool whose sessions
   * stop any statement after `readTimeoutMs`. The limit is Postgres' statement_timeout, set when a
   * connection opens, so a read costs no extra round trip; the write path's pool keeps no limit (a batch
   * or a retention pass may rightly take long). A read stopped by it is a QUERY_TIMEOUT.
   */
  async read<T extends QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    try {
      return (await this.readPool().query<T>(sql, params)).rows;
    } catch (error) {
      if (!isStatementTimeout(error)) throw error;
      throw new AppError(
        'QUERY_TIMEOUT',
        `the read ran longer than ${this.config.readTimeoutMs} ms (PG_READ_TIMEOUT_MS) and was stopped: narrow the time window or the filters`,
      );
    }
  }

  private readPool(): Pool {
    if (!this.reads) {
      const { databaseUrl, poolSize, readTimeoutMs } = this.config;
      this.reads = new Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000, statement_timeout: readTimeoutMs > 0 ? readTimeoutMs : false });
      this.reads.on('error', (error) => this.logger.warn({ msg: 'idle Postgres client (reads) failed', error: error.message }));
    }
    return this.reads;
  }

  /** Runs `work` while holding a session advisory lock, so one replica at a time does it. */
  async withAdvisoryLock<T>(key: number, work: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error): void => {
      broken ??= error;
    };
    client.on('error', onError);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Runs `work` in one transaction on the hot-path pool; a broken connection is discarded, not reused. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // pg-pool stops listening to a client while it is checked out: a connection dying mid-transaction
    // would otherwise be an unhandled 'error' event and end the process. The query fails on its own.
    const onError = (error: Error): void => {
      broken ??= error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken && isConnectionError(broken) ? broken : undefined);
    }
  }
}

/** 57014 is also an administrator's pg_cancel_backend; only the timeout is the read's own doing. */
function isStatementTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '57014' && typeof message === 'string' && message.includes('statement timeout');
}

function isConnectionError(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return !/^(22|23|42)/.test(code);
}
