import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Pool, type ClientBase, type PoolClient, type PoolConfig, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, type EntityTarget, type MigrationInterface, type ObjectLiteral, type Repository } from 'typeorm';
import { AppError, HealthRegistry, backoffMs, sleep } from '@audit/platform';
import { PERSISTENCE_CONFIG, type PersistenceConfig } from './config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { isStalePreparedStatement, PreparedStatementNames } from './prepared-statements';

/** Arbitrary constant: the advisory lock every replica takes before applying migrations. */
const MIGRATION_LOCK_KEY = 7_204_391_001;

/**
 * `migrations` is every migration but in a test that starts from an older schema. `extra` goes to pg's
 * pool (keepalive, connect timeout); never a client-side query timeout here: migrations may rightly run long.
 */
export function createDataSource(url: string, poolSize = 5, migrations: Array<new () => MigrationInterface> = MIGRATIONS, extra: PoolConfig = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { ...extra, max: poolSize, onConnect: keepListening },
  });
}

/** How often a replica waiting for another's migrations asks for the lock again. */
const MIGRATION_LOCK_POLL_MS = 100;

/**
 * Applies pending migrations once across replicas: the first to take the advisory lock migrates,
 * the others wait for it and then find nothing left to do.
 *
 * They wait by asking again every {@link MIGRATION_LOCK_POLL_MS}, not inside `pg_advisory_lock`: a session
 * waiting in a statement holds that statement's snapshot, and a migration that builds an index
 * CONCURRENTLY waits for every older snapshot to end, so the two waited for each other where Postgres's
 * deadlock detector does not look (two CLI commands migrating one new database at once hung).
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    while (!((await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [MIGRATION_LOCK_KEY])) as Array<{ ok: boolean }>)[0].ok) {
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/** A transaction's connection as its work sees it: statements only, so the gateway alone begins, ends and releases it. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Runs `COPY … FROM STDIN` with `data` as its whole input (in the format the statement names); resolves once Postgres took every row. */
  copyFrom(text: string, data: Buffer): Promise<void>;
}

/** Whether a statement may rightly run long: `timeout: false` lifts `PG_QUERY_TIMEOUT_MS` for it. */
export interface StatementOptions {
  timeout?: boolean;
}

/** How an administrator's read runs: `prepared` keeps its statement prepared on the connection (see PreparedStatementNames). */
export interface ReadOptions {
  prepared?: boolean;
}

/** Called by work that leaves its session unfit for the next user: the client is destroyed, not pooled. */
export type Discard = (reason: Error) => void;

/** What {@link Database.tryAdvisoryLock} did: `acquired: false` when another session held the lock (nothing ran). */
export type LockAttempt<T> = { acquired: true; result: T } | { acquired: false };

/**
 * The process's one gateway to Postgres: TypeORM for everything but the hot paths, and plain pg pools
 * for batch writes, long sessions and administrators' reads. No pool or client leaves it: a connection is
 * lent to work through {@link query}, {@link transaction}, {@link withClient}, {@link withAdvisoryLock} or
 * {@link tryAdvisoryLock}, which listen for its 'error' while it is out (pg-pool stops listening to a
 * checked-out client, and an unlistened 'error' ends the process) and destroy it, never pool it, once it
 * failed. Waits for the database at start, migrates under a lock, closes every pool on shutdown.
 */
@Injectable()
export class Database implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);
  private readonly dataSource: DataSource;
  private readonly pool: Pool;
  /** Opened on the first {@link read}: processes that never serve administrators' reads never connect it. */
  private reads?: Pool;
  private readonly prepared = new PreparedStatementNames();

  constructor(
    @Inject(PERSISTENCE_CONFIG) private readonly config: PersistenceConfig,
    private readonly health: HealthRegistry,
  ) {
    this.dataSource = createDataSource(config.databaseUrl, 5, MIGRATIONS, { ...keepAliveOptions(config), connectionTimeoutMillis: config.connectTimeoutMs });
    this.pool = this.openPool('writes', {});
  }

  async onModuleInit(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.initialize();
        break;
      } catch (error) {
        if (attempt >= this.config.connectAttempts) {
          throw new Error(`Postgres is not reachable at ${describeTarget(this.config.databaseUrl)} (${(error as Error).message}); is it running, and is DATABASE_URL right?`, { cause: error });
        }
        this.logger.warn({ msg: 'Postgres not reachable yet; retrying', attempt, error: (error as Error).message });
        await sleep(backoffMs(attempt, 500, 5_000));
      }
    }
    if (this.config.migrateOnStart) {
      const applied = await this.migrate();
      if (applied.length > 0) this.logger.log({ msg: 'migrations applied', migrations: applied });
    }
    this.health.register('postgres', async () => {
      await this.query('SELECT 1');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await this.reads?.end().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  /** Applies pending migrations under the migration lock; returns their names. */
  migrate(): Promise<string[]> {
    return runMigrations(this.dataSource);
  }

  /** The TypeORM repository of an entity, for the tables off the hot paths (keys, redaction rules). */
  repository<E extends ObjectLiteral>(entity: EntityTarget<E>): Repository<E> {
    return this.dataSource.getRepository(entity);
  }

  /**
   * One statement on the write pool. It is stopped client-side after `PG_QUERY_TIMEOUT_MS` (its connection
   * destroyed) unless `timeout: false`: a statement whose bytes a network partition lost would otherwise
   * hold its connection until TCP gives up. Pass `timeout: false` for a statement that may rightly run long.
   */
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = [], options: StatementOptions = {}): Promise<QueryResult<R>> {
    // pg-pool's own query() listens for 'error' while the client is out and releases it with the error.
    return this.pool.query<R>(statement(sql, params, this.queryTimeout(options)));
  }

  /**
   * Runs one administrator read (a page of events, an event, the user list) on a pool whose sessions
   * stop any statement after `readTimeoutMs`. The limit is Postgres' statement_timeout, set when a
   * connection opens, so a read costs no extra round trip; the write path's pool keeps no such limit (a
   * batch or a retention pass may rightly take long). A read stopped by it is a QUERY_TIMEOUT.
   * `prepared` keeps the statement prepared on each connection that runs it (see PreparedStatementNames):
   * for the few texts every search page runs, so Postgres does not parse them (and, once a generic plan
   * costs no more than the custom ones, plan them) again on each page.
   */
  async read<T extends QueryResultRow>(sql: string, params: unknown[], options: ReadOptions = {}): Promise<T[]> {
    const name = options.prepared ? this.prepared.nameOf(sql) : undefined;
    try {
      try {
        return (await this.readPool().query<T>(name === undefined ? { text: sql, values: params } : { name, text: sql, values: params })).rows;
      } catch (error) {
        if (name === undefined || !isStalePreparedStatement(error)) throw error;
        // A schema change turned the prepared statement's result into another type: prepared again under a
        // new name from the next read on, and this one answered as a plain statement.
        this.prepared.renameAll();
        return (await this.readPool().query<T>({ text: sql, values: params })).rows;
      }
    } catch (error) {
      if (!isStatementTimeout(error)) throw error;
      throw new AppError(
        'QUERY_TIMEOUT',
        `the read ran longer than ${this.config.readTimeoutMs} ms (PG_READ_TIMEOUT_MS) and was stopped: narrow the time window or the filters`,
      );
    }
  }

  /**
   * Lends one connection of the write pool to `work` for as long as it runs (a cursor, a COPY, a session
   * setting), with no client-side statement timeout. When `work` throws, or calls `discard`, the
   * connection is destroyed rather than pooled: its session state is then unknown.
   */
  withClient<T>(work: (client: PoolClient, discard: Discard) => Promise<T>): Promise<T> {
    return this.lend(async (client, discard) => {
      try {
        return await work(client, discard);
      } catch (error) {
        discard(asError(error));
        throw error;
      }
    });
  }

  /**
   * Runs `work` in one transaction on the write pool; its statements are bounded by `PG_QUERY_TIMEOUT_MS`
   * unless `timeout: false`. A failure rolls back and rethrows; the connection is pooled again only when
   * the rollback succeeded after an error of the statement itself (bad data, a constraint), never after a
   * broken connection or a client-side timeout.
   */
  transaction<T>(work: (sql: Sql) => Promise<T>, options: StatementOptions = {}): Promise<T> {
    const queryTimeout = this.queryTimeout(options);
    return this.lend(async (client, discard) => {
      const sql: Sql = { query: (text, values) => client.query(statement(text, values, queryTimeout)), copyFrom: (text, data) => copyInto(client, text, data, queryTimeout) };
      try {
        await sql.query('BEGIN');
        const result = await work(sql);
        await sql.query('COMMIT');
        return result;
      } catch (error) {
        const failure = asError(error);
        // After a client-side timeout the statement still holds the connection: a ROLLBACK would queue behind it.
        if (isClientTimeout(failure) || isConnectionError(failure)) discard(failure);
        else await sql.query('ROLLBACK').catch((rollback: unknown) => discard(asError(rollback)));
        throw error;
      }
    });
  }

  /** Runs `work` while holding a session advisory lock (waiting for it), so one replica at a time does it. */
  withAdvisoryLock<T>(key: number, work: () => Promise<T>): Promise<T> {
    return this.lend(async (client, discard) => {
      await client.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        return await work();
      } finally {
        await unlock(client, key, discard);
      }
    });
  }

  /** Runs `work` only if the session advisory lock is free now; otherwise runs nothing and says so. */
  tryAdvisoryLock<T>(key: number, work: () => Promise<T>): Promise<LockAttempt<T>> {
    return this.lend(async (client, discard) => {
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key]);
      if (!locked.rows[0].ok) return { acquired: false };
      try {
        return { acquired: true, result: await work() };
      } finally {
        await unlock(client, key, discard);
      }
    });
  }

  /**
   * The one place a client is checked out: its 'error' is listened for while it is out, and it is
   * released with an error (destroyed) when it emitted one, when `work` failed in a way that may have
   * broken it (a connection error, a client-side timeout), or when `work` discarded it. Otherwise it goes
   * back to the pool.
   */
  private async lend<T>(work: (client: PoolClient, discard: Discard) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const discard: Discard = (reason) => {
      broken ??= reason;
    };
    client.on('error', discard);
    try {
      return await work(client, discard);
    } catch (error) {
      // A thrown error that is not the statement's own (22, 23, 42…) may have left the connection dead.
      const failure = asError(error);
      if (isClientTimeout(failure) || isConnectionError(failure)) discard(failure);
      throw error;
    } finally {
      client.off('error', discard);
      client.release(broken);
    }
  }

  private queryTimeout(options: StatementOptions): number | undefined {
    return options.timeout === false || this.config.queryTimeoutMs === 0 ? undefined : this.config.queryTimeoutMs;
  }

  private readPool(): Pool {
    const { readTimeoutMs } = this.config;
    // No client-side timeout here: Postgres' statement_timeout already bounds these reads.
    this.reads ??= this.openPool('reads', { statement_timeout: readTimeoutMs > 0 ? readTimeoutMs : false });
    return this.reads;
  }

  private openPool(name: string, extra: PoolConfig): Pool {
    const { databaseUrl, poolSize, connectTimeoutMs } = this.config;
    const pool = new Pool({
      connectionString: databaseUrl,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      onConnect: keepListening,
      ...keepAliveOptions(this.config),
      ...extra,
    });
    // An idle client dies when Postgres restarts; the pool replaces it. Without a listener the process would crash.
    pool.on('error', (error) => this.logger.warn({ msg: 'idle Postgres client failed', pool: name, error: error.message }));
    return pool;
  }
}

/**
 * Gives every pooled connection an 'error' listener for its whole life. pg-pool stops listening to a client
 * when it hands it out, and the code that asked for it listens only from its next turn; a session ended as
 * it became ready (or as it was handed back and out again) delivers its termination in that same read, and
 * pg emits it as an 'error' nobody hears, which ends the process. Hearing it here loses nothing: pg marks the
 * client unusable, so its next statement fails as a connection error and the client is destroyed (see lend).
 */
function keepListening(client: ClientBase): void {
  client.on('error', () => undefined);
}

/**
 * TCP keepalive on every connection, so a peer that vanished (a partition, a host gone) is found by the
 * kernel instead of a socket waiting for bytes that will never come.
 */
function keepAliveOptions(config: PersistenceConfig): { keepAlive: true; keepAliveInitialDelayMillis: number } {
  return { keepAlive: true, keepAliveInitialDelayMillis: config.keepAliveDelayMs };
}

/** A failed unlock leaves the session holding the lock: that connection must not go back to the pool. */
async function unlock(client: PoolClient, key: number, discard: Discard): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [key]).catch((error: unknown) => discard(asError(error)));
}

/** pg honours a per-statement `query_timeout` (undefined: none); its types do not list the field. */
function statement(text: string, values: unknown[] | undefined, queryTimeout: number | undefined): QueryConfig {
  const config: QueryConfig & { query_timeout?: number } = { text, values, query_timeout: queryTimeout };
  return config;
}

/**
 * One `COPY … FROM STDIN` of `data`. Bounded by `queryTimeout` as pg bounds a statement: on expiry it fails with
 * pg's own timeout message, so the transaction discards the connection (the COPY may still hold it).
 */
function copyInto(client: PoolClient, text: string, data: Buffer, queryTimeout: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(text));
    const timer = queryTimeout === undefined ? undefined : setTimeout(() => reject(new Error('Query read timeout')), queryTimeout);
    const settle = (error?: Error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    stream.on('error', settle);
    stream.on('finish', () => settle());
    stream.end(data);
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** pg's own `query_timeout` error: the statement may still run, and the connection is stuck behind it. */
function isClientTimeout(error: Error): boolean {
  return error.message === 'Query read timeout';
}

/** 57014 is also an administrator's pg_cancel_backend; only the timeout is the read's own doing. */
function isStatementTimeout(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '57014' && typeof message === 'string' && message.includes('statement timeout');
}

/**
 * A failure of the connection rather than of the statement: not bad data (22), a constraint (23), bad SQL
 * (42), a lock timeout (55P03) or a cancelled statement (57014). Without a SQLSTATE only the driver's
 * socket errors count: an error thrown by the work's own code leaves the connection as it was.
 */
function isConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === undefined) return isSocketError(error);
  return typeof code === 'string' && !/^(22|23|42|55P03|57014)/.test(code);
}

/** Node's socket errors (ECONNRESET, EPIPE…) and pg's own for a connection that ended. */
function isSocketError(error: Error): boolean {
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(error.message);
}

/** Host, port and database of a connection URL, never its credentials, for an error message. */
function describeTarget(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}
