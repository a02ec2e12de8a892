import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';

const JEST_PATH_PREFIX = 'audit-chdb-jest-';

/**
 * The one embedded ClickHouse (chDB) data directory of this process. chDB binds ONE data directory per
 * process and `npm test` runs every file in one process (jest --runInBand), so every in-process test
 * uses this path and isolates itself by database instead ({@link testClickHouseEnv}).
 */
export function processClickHousePath(): string {
  return path.join(tmpdir(), `${JEST_PATH_PREFIX}${process.pid}`);
}

/** Removes the chDB directories of earlier jest processes that have exited (a directory per run otherwise piles up). */
function removeStaleProcessPaths(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = new RegExp(`^${JEST_PATH_PREFIX}(\\d+)$`).exec(entry);
    if (!match || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') rmSync(path.join(tmpdir(), entry), { recursive: true, force: true });
    }
  }
}

export interface TestClickHouse {
  /** CLICKHOUSE_PATH (this process's shared chDB directory) and CLICKHOUSE_DATABASE (fresh): pass to bootModules. */
  env: { CLICKHOUSE_PATH: string; CLICKHOUSE_DATABASE: string };
  database: string;
  /**
   * The test's own view of ClickHouse: a chDB session of its own on the same directory, with the test
   * database current. Separate from the services' session, so nothing a service sets leaks into it.
   */
  client(): Promise<ClickHouseClient>;
  /** Rows of a query (JSONEachRow, 64-bit integers as numbers). */
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Drops the database and closes the test's session. */
  drop(): Promise<void>;
}

/**
 * A fresh ClickHouse database (`audit_test_<hex>`) on the process's shared chDB directory, for one test
 * file. Set `env` in process.env before compiling the Nest modules (bootModules does), and `drop()` in afterAll.
 */
export function testClickHouseEnv(prefix = 'audit_test'): TestClickHouse {
  removeStaleProcessPaths();
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  const dir = processClickHousePath();
  let opened: Promise<ClickHouseClient> | undefined;
  const client = (): Promise<ClickHouseClient> => (opened ??= openSession(dir, database));
  return {
    env: { CLICKHOUSE_PATH: dir, CLICKHOUSE_DATABASE: database },
    database,
    client,
    query: async <T>(sql: string, params?: Record<string, unknown>): Promise<T[]> => {
      const result = await (await client()).query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      });
      return result.json<T>();
    },
    drop: async () => {
      const c = await client();
      await c.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
      await c.close();
      opened = undefined;
    },
  };
}

/**
 * A chDB session on `dir` with `database` created and current. Opened here rather than through
 * @audit/clickhouse, whose own tests use this library.
 */
async function openSession(dir: string, database: string): Promise<ClickHouseClient> {
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({ connection: drainingAfterFailures(createChdbConnection({ path: dir })) } as unknown as Parameters<typeof createClient>[0]);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({ query: `USE ${database}` });
  return client;
}

type ChdbConnection = ReturnType<typeof import('chdb/connection').createChdbConnection>;

/**
 * As @audit/clickhouse's embedded connection does (clickhouse.client.ts, DRAIN_STATEMENT): a statement
 * that fails while it runs leaves its partial output on the chDB session, which the next statement would
 * return ahead of its own, so a throwaway statement takes it right after the failure.
 */
function drainingAfterFailures(connection: ChdbConnection): ChdbConnection {
  const draining = <M extends 'query' | 'exec' | 'command' | 'insert'>(method: M) =>
    ((params: unknown) =>
      (connection[method] as (p: unknown) => Promise<unknown>).call(connection, params).catch(async (error: unknown) => {
        await connection
          .query({ query: 'SELECT 1 WHERE 0' })
          .then(async ({ stream }) => {
            for await (const chunk of stream) void chunk;
          })
          .catch(() => undefined);
        throw error;
      })) as ChdbConnection[M];
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'query' || property === 'exec' || property === 'command' || property === 'insert') return draining(property);
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * A ClickHouse data directory of its own, for a child process (the CLI, a spawned service): never the
 * jest process's directory, which chDB binds to this process. `remove()` once the child has exited.
 */
export function privateClickHousePath(): { path: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-ch-cli-'));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
