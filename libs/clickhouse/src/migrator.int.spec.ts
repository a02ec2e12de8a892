import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TestingModule } from '@nestjs/testing';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, createTestDatabase, testClickHouseEnv, type TestClickHouse, type TestDatabase } from '@audit/testing';
import { ClickHouseModule } from './clickhouse.module';
import { ClickHouse, clusterReplicas } from './clickhouse.service';
import { CLICKHOUSE_MIGRATIONS_DIR, loadMigrations, migrateClickHouse, SCHEMA_MIGRATIONS_DDL } from './migrator';
import { renderStatement } from './schema-layout';

const ALL = ['001_audit_events', '002_hourly_rollup', '003_daily_user_rollup', '004_event_id_registry', '005_search', '006_search_layout', '007_ip_keys', '008_hourly_summary'];

/** ClickHouse migrations on embedded chDB: ordered .sql files, recorded in schema_migrations, applied once. */
describe('ClickHouse migrations', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;

  beforeAll(async () => {
    ch = testClickHouseEnv();
    client = await ch.client();
  });

  afterAll(async () => {
    await ch?.drop();
  });

  const recorded = async (): Promise<{ names: string[]; rows: number }> => {
    const rows = await ch.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    return { names: [...new Set(rows.map((r) => r.name))], rows: rows.length };
  };

  it('splits each file into its statements, comments stripped, in file-name order', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.name)).toEqual(ALL);
    expect(migrations.map((m) => m.statements.length)).toEqual([1, 2, 3, 2, 5, 7, 2, 3]);
    for (const statement of migrations.flatMap((m) => m.statements)) {
      expect(statement).not.toMatch(/^\s*--/m);
      expect(statement).not.toMatch(/;\s*$/);
    }
    expect(migrations[1].statements[0]).toMatch(/^CREATE TABLE IF NOT EXISTS audit_events_hourly/);
    expect(migrations[1].statements[1]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_mv TO audit_events_hourly/);
  });

  it('applies every migration once on a fresh database, records it, and applies nothing the second time', async () => {
    expect(await migrateClickHouse(client)).toEqual(ALL);
    expect(await recorded()).toEqual({ names: ALL, rows: 8 });

    const tables = await ch.query<{ name: string; engine: string; partition_key: string; sorting_key: string }>(
      'SELECT name, engine, partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );
    expect(tables).toEqual([
      // The id registry: not partitioned (retention drops months; an id stays used forever), read by (organizationId, id).
      { name: 'audit_event_ids', engine: 'ReplacingMergeTree', partition_key: '', sorting_key: 'organizationId, id' },
      { name: 'audit_events', engine: 'ReplacingMergeTree', partition_key: 'toYYYYMM(createdAt)', sorting_key: 'organizationId, createdAt, id' },
      { name: 'audit_events_daily_users', engine: 'AggregatingMergeTree', partition_key: 'toYYYYMM(day)', sorting_key: 'organizationId, day, userId' },
      { name: 'audit_events_daily_users_mv', engine: 'MaterializedView', partition_key: '', sorting_key: '' },
      { name: 'audit_events_hourly', engine: 'SummingMergeTree', partition_key: 'toYYYYMM(hour)', sorting_key: 'organizationId, hour, actionType' },
      { name: 'audit_events_hourly_mv', engine: 'MaterializedView', partition_key: '', sorting_key: '' },
      { name: 'audit_events_hourly_summary', engine: 'AggregatingMergeTree', partition_key: 'toYYYYMM(hour)', sorting_key: 'organizationId, hour' },
      { name: 'audit_events_hourly_summary_mv', engine: 'MaterializedView', partition_key: '', sorting_key: '' },
      // The projector's high-water mark, read by searches.
      { name: 'projection_progress', engine: 'ReplacingMergeTree', partition_key: '', sorting_key: 'consumer' },
      { name: 'schema_migrations', engine: 'ReplacingMergeTree', partition_key: '', sorting_key: 'name' },
    ]);
    const columns = await ch.query<{ name: string; type: string }>(
      "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'audit_events' ORDER BY position",
    );
    expect(columns).toEqual([
      { name: 'id', type: 'UUID' },
      { name: 'organizationId', type: 'LowCardinality(String)' },
      { name: 'actionType', type: 'LowCardinality(String)' },
      { name: 'userId', type: 'LowCardinality(Nullable(String))' },
      { name: 'userEmail', type: 'LowCardinality(Nullable(String))' },
      { name: 'userName', type: 'LowCardinality(Nullable(String))' },
      { name: 'ipAddress', type: 'Nullable(String)' },
      { name: 'responseTimeMs', type: 'Nullable(UInt32)' },
      { name: 'pageName', type: 'LowCardinality(Nullable(String))' },
      { name: 'queryName', type: 'LowCardinality(Nullable(String))' },
      { name: 'resourceName', type: 'LowCardinality(Nullable(String))' },
      { name: 'metadata', type: 'String' },
      { name: "createdAt", type: "DateTime64(3, 'UTC')" },
      { name: "receivedAt", type: "DateTime64(3, 'UTC')" },
      // Free text of searches: names and query text, lower-cased, computed by ClickHouse on insert.
      { name: 'searchText', type: 'String' },
      // ip: searches compare these, the address as the search language reads it (NULL when it is none of that family).
      { name: 'ipV4', type: 'Nullable(IPv4)' },
      { name: 'ipV6', type: 'Nullable(IPv6)' },
    ]);
    // user: searches read a user's granules of a copy of the search keys sorted by user.
    const [{ create }] = await ch.query<{ create: string }>("SELECT create_table_query AS create FROM system.tables WHERE database = currentDatabase() AND name = 'audit_events'");
    expect(create).toContain('PROJECTION user_keys (SELECT organizationId, userId, createdAt, id ORDER BY organizationId, userId, createdAt)');
    expect(create).toMatch(/SETTINGS .*deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'/);
    const indexes = await ch.query<{ name: string; type: string; expr: string }>(
      "SELECT name, type, expr FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'audit_events' ORDER BY name",
    );
    expect(indexes).toEqual([
      { name: 'search_text_ngrams', type: 'ngrambf_v1', expr: 'searchText' },
      { name: 'user_id_bloom', type: 'bloom_filter', expr: 'userId' },
    ]);

    expect(await migrateClickHouse(client)).toEqual([]);
    expect(await migrateClickHouse(client)).toEqual([]);
    expect(await recorded()).toEqual({ names: ALL, rows: 8 });
  });

  it("renders, for a cluster, statements ClickHouse's own parser reads as ON CLUSTER DDL with Replicated engines", async () => {
    // chDB has no cluster and no Keeper to run them on; its parser (formatQuery) is the server's.
    const rendered = [SCHEMA_MIGRATIONS_DDL, ...loadMigrations().flatMap((m) => m.statements)].map((s) => renderStatement(s, { cluster: 'audit' }));
    const parsed = await ch.query<{ f: string }>('SELECT arrayJoin({qs:Array(String)}) AS q, formatQuery(q) AS f', { qs: rendered });
    expect(parsed.map((r) => r.f.split('\n')[0])).toEqual([
      'CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER audit',
      'CREATE TABLE IF NOT EXISTS audit_events ON CLUSTER audit',
      'CREATE TABLE IF NOT EXISTS audit_events_hourly ON CLUSTER audit',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_mv ON CLUSTER audit TO audit_events_hourly',
      'CREATE TABLE IF NOT EXISTS audit_events_daily_users ON CLUSTER audit',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_daily_users_mv ON CLUSTER audit TO audit_events_daily_users',
      // The backfill runs once, on one replica: the replicated table carries its rows.
      'INSERT INTO audit_events_daily_users SELECT',
      'CREATE TABLE IF NOT EXISTS audit_event_ids ON CLUSTER audit',
      'INSERT INTO audit_event_ids SELECT',
      'ALTER TABLE audit_events ON CLUSTER audit',
      'ALTER TABLE audit_events ON CLUSTER audit',
      'ALTER TABLE audit_events ON CLUSTER audit',
      'CREATE TABLE IF NOT EXISTS projection_progress ON CLUSTER audit',
      'INSERT INTO projection_progress SELECT',
      // 006's seven, 007's two.
      ...Array<string>(9).fill('ALTER TABLE audit_events ON CLUSTER audit'),
      'CREATE TABLE IF NOT EXISTS audit_events_hourly_summary ON CLUSTER audit',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_summary_mv ON CLUSTER audit TO audit_events_hourly_summary',
      'INSERT INTO audit_events_hourly_summary SELECT',
    ]);
    expect(parsed.map((r) => /^ENGINE = (\w+)\('([^']*)', '([^']*)'(?:, \w+)?\)/m.exec(r.f)?.slice(1) ?? null)).toEqual([
      ['ReplicatedReplacingMergeTree', '/clickhouse/tables/{shard}/{database}/schema_migrations', '{replica}'],
      ['ReplicatedReplacingMergeTree', '/clickhouse/tables/{shard}/{database}/audit_events', '{replica}'],
      ['ReplicatedSummingMergeTree', '/clickhouse/tables/{shard}/{database}/audit_events_hourly', '{replica}'],
      null,
      ['ReplicatedAggregatingMergeTree', '/clickhouse/tables/{shard}/{database}/audit_events_daily_users', '{replica}'],
      null,
      null,
      ['ReplicatedReplacingMergeTree', '/clickhouse/tables/{shard}/{database}/audit_event_ids', '{replica}'],
      null,
      null,
      null,
      null,
      ['ReplicatedReplacingMergeTree', '/clickhouse/tables/{shard}/{database}/projection_progress', '{replica}'],
      null,
      ...Array<null>(9).fill(null),
      ['ReplicatedAggregatingMergeTree', '/clickhouse/tables/{shard}/{database}/audit_events_hourly_summary', '{replica}'],
      null,
      null,
    ]);
  });

  it('on a cluster, refuses a database whose tables were created for one server, before any DDL', async () => {
    // `client`'s database was migrated for one server by the test above.
    await expect(migrateClickHouse(client, { layout: { cluster: 'audit' } })).rejects.toThrow(
      /^CLICKHOUSE_CLUSTER is "audit", but this database holds tables created for one server \(audit_event_ids: ReplacingMergeTree, audit_events: ReplacingMergeTree, audit_events_daily_users: AggregatingMergeTree, audit_events_hourly: SummingMergeTree, audit_events_hourly_summary: AggregatingMergeTree, projection_progress: ReplacingMergeTree, schema_migrations: ReplacingMergeTree\).*DROP DATABASE <database> ON CLUSTER 'audit' SYNC/,
    );
    expect(await recorded()).toEqual({ names: ALL, rows: 8 });
  });

  it('a CLICKHOUSE_CLUSTER the server does not define stops the start with a message naming it', async () => {
    await expect(clusterReplicas(client, 'audit')).rejects.toThrow('CLICKHOUSE_CLUSTER is "audit", but the ClickHouse server defines no such cluster (system.clusters)');
  });

  it('applies only what is missing after an interrupted run', async () => {
    const other = testClickHouseEnv('audit_test_partial');
    const partialDir = mkdtempSync(path.join(tmpdir(), 'audit-ch-migrations-'));
    try {
      cpSync(path.join(CLICKHOUSE_MIGRATIONS_DIR, '001_audit_events.sql'), path.join(partialDir, '001_audit_events.sql'));
      const c = await other.client();
      expect(await migrateClickHouse(c, { dir: partialDir })).toEqual(['001_audit_events']);
      expect(await migrateClickHouse(c)).toEqual(['002_hourly_rollup', '003_daily_user_rollup', '004_event_id_registry', '005_search', '006_search_layout', '007_ip_keys', '008_hourly_summary']);
      expect(await migrateClickHouse(c)).toEqual([]);
      expect((await other.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).map((r) => r.name)).toEqual(ALL);
    } finally {
      rmSync(partialDir, { recursive: true, force: true });
      await other.drop();
    }
  });
});

/**
 * The ClickHouse service migrates at start under a Postgres advisory lock: replicas starting together
 * apply each migration once between them.
 */
describe('ClickHouse service: migrations under the advisory lock', () => {
  let db: TestDatabase;
  let ch: TestClickHouse;
  const apps: TestingModule[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('audit_ch_mig');
    ch = testClickHouseEnv('audit_test_lock');
    const env = { DATABASE_URL: db.url, ...ch.env, MIGRATE_ON_START: 'false' };
    apps.push(await bootModules([PlatformModule, PersistenceModule, ClickHouseModule], env));
    apps.push(await bootModules([PlatformModule, PersistenceModule, ClickHouseModule], env));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    delete process.env.MIGRATE_ON_START;
    await ch?.drop();
    await db?.drop();
  });

  it('two replicas migrating at once: one applies everything, the other nothing; the store is embedded chDB on the test database', async () => {
    const [a, b] = apps.map((app) => app.get(ClickHouse));
    expect([a.mode, b.mode]).toEqual(['embedded', 'embedded']);
    expect(await ch.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'")).toEqual([{ n: 0 }]);

    const results = await Promise.all([a.migrate(), b.migrate()]);
    expect(results.flat().sort()).toEqual(ALL);
    expect(results.map((r) => r.length).sort()).toEqual([0, ALL.length]);
    expect(await ch.query('SELECT name FROM schema_migrations ORDER BY name')).toEqual(ALL.map((name) => ({ name })));

    // Both services query the same database, through their own sessions.
    const current = await (await a.client.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' })).json<{ d: string }>();
    expect(current).toEqual([{ d: ch.database }]);
    expect(await b.migrate()).toEqual([]);
  });
});
