/**
 * bench:search's ClickHouse loader, run as a child process (chDB binds its data directory to one process):
 * migrates the embedded ClickHouse at CLICKHOUSE_PATH and copies audit_trail_events from the Postgres of
 * DATABASE_URL into audit_events with ClickHouse's postgresql() table function, then records the
 * projector's high-water mark as the projector would have. Prints `loaded <rows> <seconds>`.
 */
import { migrateClickHouse, openClickHouse, readClickHouseConfig } from '@audit/clickhouse';

const literal = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

async function main(): Promise<void> {
  const pg = new URL(process.env.DATABASE_URL ?? '');
  const { client } = await openClickHouse(readClickHouseConfig(process.env));
  await migrateClickHouse(client);
  const started = performance.now();
  const source = `postgresql(${literal(`${pg.hostname}:${pg.port || '5432'}`)}, ${literal(pg.pathname.slice(1))}, 'audit_trail_events', ${literal(decodeURIComponent(pg.username || 'postgres'))}, ${literal(decodeURIComponent(pg.password))})`;
  await client.command({
    query: `INSERT INTO audit_events (id, organizationId, actionType, userId, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, createdAt, receivedAt)
            SELECT id, organizationId, actionType, userId, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, createdAt, receivedAt FROM ${source}`,
    clickhouse_settings: { max_partitions_per_insert_block: '0' },
  });
  await client.command({ query: `INSERT INTO projection_progress SELECT 'projector', max(receivedAt) FROM audit_events` });
  await client.command({ query: 'OPTIMIZE TABLE audit_events FINAL' });
  const result = await client.query({ query: 'SELECT count() AS n FROM audit_events', format: 'JSONEachRow' });
  const [{ n }] = await result.json<{ n: string }>();
  process.stdout.write(`loaded ${n} ${((performance.now() - started) / 1000).toFixed(1)}\n`);
  await client.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
