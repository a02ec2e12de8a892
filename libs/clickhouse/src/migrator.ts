import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';

export const CLICKHOUSE_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** The ordered `.sql` files, each split into its statements. */
export function loadMigrations(dir = CLICKHOUSE_MIGRATIONS_DIR): Array<{ name: string; statements: string[] }> {
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      name: file.replace(/\.sql$/, ''),
      statements: readFileSync(path.join(dir, file), 'utf8')
        .split(/;\s*(?:\n|$)/)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter((s) => s.length > 0),
    }));
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Callers run it under a
 * lock (the Postgres advisory lock of the projector) so replicas never apply one twice; the DDL is
 * `IF NOT EXISTS` besides, so an interrupted migration can simply run again.
 */
export async function migrateClickHouse(client: ClickHouseClient, dir = CLICKHOUSE_MIGRATIONS_DIR): Promise<string[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (name String, appliedAt DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY name`,
  });
  const done = new Set(
    (await (await client.query({ query: 'SELECT name FROM schema_migrations FINAL', format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name),
  );
  const applied: string[] = [];
  for (const migration of loadMigrations(dir)) {
    if (done.has(migration.name)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({ table: 'schema_migrations', values: [{ name: migration.name }], format: 'JSONEachRow' });
    applied.push(migration.name);
  }
  return applied;
}
