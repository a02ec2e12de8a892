import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { renderStatement, type SchemaLayout } from './schema-layout';

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

/** The table recording applied migrations, itself replicated on a cluster so every replica agrees on it. */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_migrations (name String, appliedAt DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY name`;

export interface MigrateOptions {
  dir?: string;
  /** One server (default) or a cluster: every statement goes through renderStatement. */
  layout?: SchemaLayout;
  /** Settings of the INSERT recording a migration (on a cluster, the quorum of every replica). */
  insertSettings?: ClickHouseSettings;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Callers run it under a
 * lock (the Postgres advisory lock of the ClickHouse service) so replicas of a service never apply one
 * twice; the DDL is `IF NOT EXISTS` besides, so an interrupted migration can simply run again. On a
 * cluster `schema_migrations` is replicated and its rows inserted with the quorum of every replica, so
 * the next pod sees them whichever ClickHouse replica its Service picks.
 */
export async function migrateClickHouse(client: ClickHouseClient, options: MigrateOptions = {}): Promise<string[]> {
  const { dir = CLICKHOUSE_MIGRATIONS_DIR, layout = {}, insertSettings = {} } = options;
  if (layout.cluster) await refuseSingleServerTables(client, layout.cluster);
  // ON CLUSTER DDL waits for every replica: skipped when the table is there, so a service still starts
  // while one replica is down (the operator gives a replica that joins later the replicated tables).
  if (!layout.cluster || !(await tableExists(client, 'schema_migrations'))) await client.command({ query: renderStatement(SCHEMA_MIGRATIONS_DDL, layout) });
  const done = new Set(
    (await (await client.query({ query: 'SELECT name FROM schema_migrations FINAL', format: 'JSONEachRow' })).json<{ name: string }>()).map((r) => r.name),
  );
  // Rendered before anything runs: a statement with no cluster form stops the run before it starts.
  const pending = loadMigrations(dir)
    .filter((migration) => !done.has(migration.name))
    .map((migration) => ({ name: migration.name, statements: migration.statements.map((statement) => renderStatement(statement, layout)) }));
  const applied: string[] = [];
  for (const migration of pending) {
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({ table: 'schema_migrations', values: [{ name: migration.name }], format: 'JSONEachRow', clickhouse_settings: insertSettings });
    applied.push(migration.name);
  }
  return applied;
}

/**
 * `IF NOT EXISTS` would keep a table created for one server (a ReplacingMergeTree that replicates
 * nothing) and `schema_migrations` would say all is applied: a database migrated before
 * CLICKHOUSE_CLUSTER was set must be created anew, which is safe because ClickHouse is a projection.
 */
async function refuseSingleServerTables(client: ClickHouseClient, cluster: string): Promise<void> {
  const result = await client.query({
    query: `SELECT name, engine FROM system.tables
            WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND engine NOT LIKE 'Replicated%' ORDER BY name`,
    format: 'JSONEachRow',
  });
  const local = await result.json<{ name: string; engine: string }>();
  if (local.length === 0) return;
  throw new Error(
    `CLICKHOUSE_CLUSTER is "${cluster}", but this database holds tables created for one server (${local.map((t) => `${t.name}: ${t.engine}`).join(', ')}), ` +
      `which do not replicate. Recreate the projection: DROP DATABASE <database> ON CLUSTER '${cluster}' SYNC, restart the services ` +
      '(they create the replicated schema), then `projections rebuild` reloads it from Postgres.',
  );
}

async function tableExists(client: ClickHouseClient, table: string): Promise<boolean> {
  const result = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
    query_params: { table },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return Number((await result.json<{ n: number }>())[0]?.n ?? 0) > 0;
}
