/**
 * bench:search's ClickHouse loader, run as a child process (chDB binds its data directory to one process):
 * migrates the embedded ClickHouse at CLICKHOUSE_PATH and bulk-inserts the TabSeparated file BENCH_CH_FILE
 * (the very events COPYed into Postgres, written in the same pass: bench/page-data.ts) into audit_events,
 * then records the projector's high-water mark as the projector would have and merges the parts as the
 * background merges of a long-running server would have. Prints `loaded <rows> <insert s> <merge s>`, then
 * `storage …`: what audit_events takes on disk, and of it the search layout's parts (migrations 006 and 007:
 * the user_keys and ip_keys projections, the typed address columns).
 */
import { migrateClickHouse, openClickHouse, readClickHouseConfig } from '@audit/clickhouse';
import { CLICKHOUSE_STRUCTURE } from './analytics-data';

const literal = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const COLUMNS = 'id, organizationId, actionType, userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, createdAt, receivedAt';

async function main(): Promise<void> {
  const file = process.env.BENCH_CH_FILE;
  if (!file) throw new Error('BENCH_CH_FILE: the TabSeparated file to load is required');
  const { client } = await openClickHouse(readClickHouseConfig(process.env));
  await migrateClickHouse(client);
  const started = performance.now();
  // The ISO-8601 instants of the file ('…T…Z') need best_effort parsing; the settings are the statement's own
  // (chDB would keep clickhouse_settings for every later statement of the process).
  await client.command({
    query: `INSERT INTO audit_events (${COLUMNS}) SELECT ${COLUMNS} FROM file(${literal(file)}, 'TabSeparated', ${literal(CLICKHOUSE_STRUCTURE)})
            SETTINGS date_time_input_format = 'best_effort', max_partitions_per_insert_block = 0`,
  });
  const inserted = performance.now();
  await client.command({ query: `INSERT INTO projection_progress SELECT 'projector', max(receivedAt) FROM audit_events` });
  await client.command({ query: 'OPTIMIZE TABLE audit_events FINAL' });
  const merged = performance.now();
  const result = await client.query({ query: 'SELECT count() AS n FROM audit_events', format: 'JSONEachRow' });
  const [{ n }] = await result.json<{ n: string }>();
  process.stdout.write(`loaded ${n} ${((inserted - started) / 1000).toFixed(1)} ${((merged - inserted) / 1000).toFixed(1)}\n`);
  process.stdout.write(`storage ${await storage(client)}\n`);
  await client.close();
}

const MB = (bytes: string | number): string => `${(Number(bytes) / 1e6).toFixed(1)} MB`;

/** audit_events on disk (compressed), with each of its projections and its ipV4/ipV6 columns apart. */
async function storage(client: Awaited<ReturnType<typeof openClickHouse>>['client']): Promise<string> {
  const one = async (query: string): Promise<string> => {
    const [row] = await (await client.query({ query, format: 'JSONEachRow' })).json<{ b: string }>();
    return row?.b ?? '0';
  };
  const table = await one(`SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE database = currentDatabase() AND table = 'audit_events' AND active`);
  const projections = await (
    await client.query({
      query: `SELECT name, sum(bytes_on_disk) AS b FROM system.projection_parts WHERE database = currentDatabase() AND table = 'audit_events' AND active GROUP BY name ORDER BY name`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string; b: string }>();
  const ips = await one(
    `SELECT sum(column_data_compressed_bytes) AS b FROM system.parts_columns WHERE database = currentDatabase() AND table = 'audit_events' AND active AND column IN ('ipV4', 'ipV6')`,
  );
  const each = projections.map((p) => `projection ${p.name} ${MB(p.b)}`).join(', ');
  return `audit_events ${MB(table)} (${each ? `${each}, ` : ''}columns ipV4 + ipV6 ${MB(ips)})`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
