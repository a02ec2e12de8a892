import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { rmSync } from 'node:fs';
import type { ChdbConnection } from 'chdb/connection';
import { isMainThread } from 'node:worker_threads';
import { crossThreadLock, histogram, mayRaiseThreadPriority, threadNiceness } from '@audit/platform';
import type { ClickHouseConfig } from './config';
import { embeddedClickHouseHolder } from './embedded-lock';
import { insertFilesDirectory, insertingThroughFiles } from './embedded-file-inserts';
import { embeddedStatementNiceness, readStatementNiceness, restoringSharedThreads } from './embedded-niceness';
import { holdingExitDuringStatements } from './embedded-statements';
import { createDatabaseStatement } from './schema-layout';

/**
 * Embedded chDB's parameterised statements, one at a time in the whole process. chDB sets and resets a
 * statement's parameters on engine-wide state: two running at once (on any connections) clobber each other's
 * values or abort the engine. chdb-node chains them itself, but its chain lives in its JavaScript module,
 * of which each thread has its own; the standalone runs the projector in a worker thread beside the main
 * thread's reads, so the chain is taken across threads here. Taken at load, in the main thread before it
 * starts any worker (see crossThreadLock).
 */
const PARAMETERISED_STATEMENTS = crossThreadLock('chdb-parameterised-statements');

/**
 * How long embedded chDB's parameterised statements waited for {@link PARAMETERISED_STATEMENTS}, by thread
 * (`main`: the HTTP thread's reads; `worker`: the standalone's consumers thread, the projector's rollup repairs and rebuilds): a
 * read that waits here waits for every statement queued before it, the projector's included, however
 * quickly its own statement runs.
 */
const statementLockWait = histogram(
  'audit_clickhouse_embedded_statement_wait_seconds',
  "How long an embedded ClickHouse parameterised statement waited for the process's other parameterised statements",
  ['thread'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
/** How long each held it: with `statementLockWait`, which statements the reads wait behind. */
const statementLockHeld = histogram(
  'audit_clickhouse_embedded_statement_held_seconds',
  'How long an embedded ClickHouse parameterised statement ran, holding the process-wide turn of parameterised statements',
  ['thread'],
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);
const THREAD = { thread: isMainThread ? 'main' : 'worker' };

/** The kind of ClickHouse behind the client; only start-up and diagnostics care. */
export type ClickHouseMode = 'server' | 'embedded';

/** Embedded chDB's data directory is held by another process (a running platform, most often). */
export class EmbeddedClickHouseBusyError extends Error {
  constructor(
    readonly path: string,
    readonly pid: number | undefined,
    cause?: unknown,
  ) {
    super(
      `embedded ClickHouse data at ${path} is open in another process${pid ? ` (pid ${pid}, a running platform?)` : ' (a running platform?)'}: ` +
        'chDB allows one process per data directory. Stop that process, set CLICKHOUSE_PATH to another directory, or use a ClickHouse server (CLICKHOUSE_URL).',
      { cause },
    );
  }
}

/**
 * Opens `@clickhouse/client` on a ClickHouse server (CLICKHOUSE_URL) or on embedded chDB, creates the
 * database, and makes it current, so every query after this is the same text for both.
 */
export async function openClickHouse(config: ClickHouseConfig): Promise<OpenedClickHouse> {
  return openClickHouseConnection(config);
}

/** An opened client; `statementNiceness` is what embedded chDB runs its statements at (0 on a server). */
export interface OpenedClickHouse {
  client: ClickHouseClient;
  mode: ClickHouseMode;
  statementNiceness: number;
}

/**
 * A second client for administrators' reads. A chDB connection runs one statement at a time, so reads on
 * the projector's connection would wait behind its inserts (seconds under load); another connection on
 * the same data directory runs beside them and sees the same tables, its statements raised to the HTTP
 * thread's niceness where the process may (readStatementNiceness). A server runs statements concurrently
 * on one client and schedules its own threads: there the client given is returned.
 */
export async function openReadClient(config: ClickHouseConfig, opened: OpenedClickHouse): Promise<OpenedClickHouse> {
  if (opened.mode === 'server') return opened;
  return openClickHouseConnection(config, readStatementNiceness(mayRaiseThreadPriority()));
}

/** `statementNiceness` given: the connection's statements run at it, whatever CLICKHOUSE_EMBEDDED_NICENESS says (the reads' connection). */
async function openClickHouseConnection(config: ClickHouseConfig, statementNicenessGiven?: number): Promise<OpenedClickHouse> {
  if (config.url) {
    const admin = createClient({ url: config.url, username: config.username, password: config.password });
    try {
      // On a cluster, ON CLUSTER: the Service behind CLICKHOUSE_URL reaches one replica and CREATE is not
      // replicated. That DDL waits for every replica, so it runs only when the database is missing: a
      // service still starts while one replica is down.
      if (!config.cluster || !(await databaseExists(admin, config.database))) {
        await admin.command({ query: createDatabaseStatement(config.database, { cluster: config.cluster }) });
      }
    } finally {
      await admin.close();
    }
    return {
      client: createClient({ url: config.url, username: config.username, password: config.password, database: config.database }),
      mode: 'server',
      statementNiceness: 0,
    };
  }
  // chDB binds one data directory per process; the connection keeps its session (and USE) for its lifetime.
  const holder = embeddedClickHouseHolder(config.path);
  if (holder !== undefined) throw new EmbeddedClickHouseBusyError(config.path, holder);
  const { createChdbConnection } = await import('chdb/connection');
  const niceness = threadNiceness();
  const statementNiceness = statementNicenessGiven ?? embeddedStatementNiceness(config.embeddedNiceness, niceness);
  let client: ClickHouseClient;
  let turn: ChdbConnection;
  const inserts = insertFilesDirectory(config.path);
  try {
    const statements = createChdbConnection({ path: config.path });
    // A lowered connection takes the process-wide turn of parameterised statements on a second session at
    // the process's priority: a lowered statement holding the turn would keep every read queued behind it
    // waiting at the lowered priority (the projector's checks, behind the other processes of a busy machine).
    turn = statementNiceness > 0 ? createChdbConnection({ path: config.path }) : statements;
    if (turn !== statements) {
      await turn.command({ query: createDatabaseStatement(config.database, {}) });
      await turn.command({ query: `USE ${config.database}` });
    }
    const chdb = insertingThroughFiles(parameterisedOneAtATime(statements, turn), inserts);
    // Only where moved statements can leave threads moved: ClickHouse moves nothing without CAP_SYS_NICE.
    const connection = statementNiceness !== 0 && mayRaiseThreadPriority() ? restoringSharedThreads(chdb, niceness.process) : chdb;
    client = createClient({ connection: holdingExitDuringStatements(connection) } as unknown as Parameters<typeof createClient>[0]);
    await client.command({ query: createDatabaseStatement(config.database, {}) });
  } catch (error) {
    rmSync(inserts, { recursive: true, force: true });
    if (/Cannot lock file|Failed to create connection/i.test(String((error as Error).message))) throw new EmbeddedClickHouseBusyError(config.path, undefined, error);
    throw error;
  }
  await client.command({ query: `USE ${config.database}` });
  // On this connection's session, so it holds for its statements only (the other connections keep theirs).
  // A raised connection keeps its parameterised statements on this session: raised, they hold the turn the others wait for less long.
  if (statementNiceness !== 0) await client.command({ query: `SET os_thread_priority = ${statementNiceness}` });
  return { client, mode: 'embedded', statementNiceness };
}

type StatementMethod = 'query' | 'exec' | 'command' | 'insert';

/**
 * A statement that fails while it runs (a limit or timeout reached mid-read, an error in a function) leaves
 * what its output format had written so far on the chDB session (rows, or the `[` … `]` of a JSON array),
 * and the session's next statement returns that output ahead of its own. A statement run right after the
 * failure, on the same connection, takes it; its answer is thrown away.
 */
const DRAIN_STATEMENT = 'SELECT 1 WHERE 0';

/**
 * The connection with each statement that binds parameters run under {@link PARAMETERISED_STATEMENTS},
 * on `turn` (a session of its own, at the process's priority, for a lowered connection); the others (inserts of rows, plain reads) run at once, in parallel, as chDB allows. After a statement
 * fails, {@link DRAIN_STATEMENT} runs before the error is thrown (under the same lock when it was taken),
 * so no later statement's answer carries the failed one's partial output.
 */
function parameterisedOneAtATime(connection: ChdbConnection, turn: ChdbConnection = connection): ChdbConnection {
  const guarded = <M extends StatementMethod>(method: M) =>
    ((params: { query_params?: Record<string, unknown> }) => {
      const parameterised = params.query_params !== undefined && Object.keys(params.query_params).length > 0;
      const target = parameterised ? turn : connection;
      const run = () =>
        (target[method] as (p: typeof params) => Promise<unknown>).call(target, params).catch(async (error: unknown) => {
          await target
            .query({ query: DRAIN_STATEMENT })
            .then(async ({ stream }) => {
              for await (const chunk of stream) void chunk;
            })
            .catch(() => undefined);
          throw error;
        });
      if (!parameterised) return run();
      const queued = performance.now();
      return PARAMETERISED_STATEMENTS.run(async () => {
        const started = performance.now();
        statementLockWait.observe(THREAD, (started - queued) / 1000);
        try {
          return await run();
        } finally {
          statementLockHeld.observe(THREAD, (performance.now() - started) / 1000);
        }
      });
    }) as ChdbConnection[M];
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'query' || property === 'exec' || property === 'command' || property === 'insert') return guarded(property);
      if (property === 'close' && turn !== target) return async () => void (await Promise.all([target.close(), turn.close()]));
      // Its methods and getters read private fields: they must run on the connection itself, not on the proxy.
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function databaseExists(client: ClickHouseClient, database: string): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.databases WHERE name = {database:String}',
    query_params: { database },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return Number((await result.json<{ n: number }>())[0]?.n ?? 0) > 0;
}
