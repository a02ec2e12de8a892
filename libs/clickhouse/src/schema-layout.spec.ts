import { clickHouseFailureKind } from './clickhouse-errors';
import { readClickHouseConfig } from './config';
import { loadMigrations, SCHEMA_MIGRATIONS_DDL } from './migrator';
import { createDatabaseStatement, insertSettingsFor, removalSettingsFor, renderStatement, UnreplicableStatementError } from './schema-layout';

const cluster = { cluster: 'audit' };
/** Every statement the migrator runs: its own table, then each migration file's statements. */
const statements = [SCHEMA_MIGRATIONS_DDL, ...loadMigrations().flatMap((m) => m.statements)];
const render = (statement: string) => renderStatement(statement, cluster);
const engineOf = (sql: string) => /\bENGINE = (.*)$/m.exec(sql)?.[1];

/** The migration files rendered for one server (unchanged) and for the replicas of a cluster. */
describe('the ClickHouse schema for one server and for a cluster', () => {
  it('without a cluster every statement is exactly the migration file, and the database is created as before', () => {
    for (const statement of statements) expect(renderStatement(statement, {})).toBe(statement);
    expect(createDatabaseStatement('audit', {})).toBe('CREATE DATABASE IF NOT EXISTS audit');
    expect(insertSettingsFor({}, 1)).toEqual({});
    expect(removalSettingsFor({})).toEqual({});
  });

  it('on a cluster every table is created ON CLUSTER with the Replicated engine, its Keeper path and its own arguments', () => {
    const tables = statements.filter((s) => s.startsWith('CREATE TABLE'));
    expect(tables.map((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1])).toEqual(['schema_migrations', 'audit_events', 'audit_events_hourly', 'audit_events_daily_users', 'audit_event_ids', 'projection_progress', 'audit_events_hourly_summary']);
    expect(tables.map((s) => engineOf(render(s)))).toEqual([
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/schema_migrations', '{replica}') ORDER BY name",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/audit_events', '{replica}')",
      "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/audit_events_hourly', '{replica}')",
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/audit_events_daily_users', '{replica}')",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/audit_event_ids', '{replica}')",
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/projection_progress', '{replica}', watermark)",
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/audit_events_hourly_summary', '{replica}')",
    ]);
    for (const table of tables) {
      const sql = render(table);
      expect(sql).toMatch(/^CREATE TABLE IF NOT EXISTS \w+ ON CLUSTER 'audit'\s*\(/);
      // Only the first line and the engine change: columns, partitioning, sorting and settings stay.
      const unreplicated = sql.replace(/ ON CLUSTER 'audit'/, '').replace(/ENGINE = Replicated(\w+)\('[^']*', '\{replica\}'(?:, ([^)]*))?\)/, (_m, engine: string, own?: string) => `ENGINE = ${engine}${own ? `(${own})` : ''}`);
      expect(unreplicated).toBe(table);
    }
  });

  it("on a cluster each materialized view exists on every replica and writes into its replicated rollup", () => {
    const views = statements.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW')).map(render);
    expect(views).toHaveLength(3);
    expect(views[0]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_mv ON CLUSTER 'audit' TO audit_events_hourly\s+AS\s+SELECT/);
    expect(views[1]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_daily_users_mv ON CLUSTER 'audit' TO audit_events_daily_users\s+AS\s+SELECT/);
    expect(views[2]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_summary_mv ON CLUSTER 'audit' TO audit_events_hourly_summary\s+AS\s+SELECT/);
    expect(engineOf(render(statements.find((s) => s.includes('audit_events_hourly\n')) ?? ''))).toMatch(/^ReplicatedSummingMergeTree\(/);
  });

  it('on a cluster the database is created ON CLUSTER, no DDL is left without it, and a backfill runs unchanged', () => {
    expect(createDatabaseStatement('audit', cluster)).toBe("CREATE DATABASE IF NOT EXISTS audit ON CLUSTER 'audit'");
    const backfills = statements.filter((s) => s.startsWith('INSERT INTO'));
    expect(backfills.map((s) => s.split('\n')[0])).toEqual(['INSERT INTO audit_events_daily_users', 'INSERT INTO audit_event_ids SELECT organizationId, id FROM audit_events',
      "INSERT INTO projection_progress SELECT 'projector', max(receivedAt) FROM audit_events",
      'INSERT INTO audit_events_hourly_summary',
    ]);
    for (const backfill of backfills) expect(render(backfill)).toBe(backfill);
    for (const sql of statements.filter((s) => !s.startsWith('INSERT INTO')).map(render)) {
      expect(sql).toMatch(/^(CREATE (TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE) \w+ ON CLUSTER 'audit'\s/);
      expect(sql).not.toMatch(/ENGINE = (Replacing|Summing)?MergeTree/);
    }
  });

  it("keeps an engine's own arguments after Keeper's path and the replica", () => {
    const sql = render('CREATE TABLE IF NOT EXISTS t (k String, v UInt64, n UInt64)\nENGINE = ReplacingMergeTree(v)\nORDER BY k');
    expect(sql).toBe("CREATE TABLE IF NOT EXISTS t ON CLUSTER 'audit' (k String, v UInt64, n UInt64)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}', v)\nORDER BY k");
    // Arguments it cannot take apart (nested parentheses) are refused, never half-rewritten.
    expect(() => render('CREATE TABLE IF NOT EXISTS s (k String, n UInt64) ENGINE = SummingMergeTree((n)) ORDER BY k')).toThrow(UnreplicableStatementError);
  });

  it('on a cluster adds columns, indexes and projections, materializes them and modifies settings ON CLUSTER, only in their idempotent form', () => {
    const alters = statements.filter((s) => s.startsWith('ALTER TABLE'));
    expect(new Set(alters.map((a) => /^ALTER TABLE \w+ (ADD \w+|MATERIALIZE \w+|MODIFY SETTING)/.exec(a)?.[1]))).toEqual(
      new Set(['ADD COLUMN', 'ADD INDEX', 'ADD PROJECTION', 'MATERIALIZE COLUMN', 'MATERIALIZE PROJECTION', 'MODIFY SETTING']),
    );
    for (const alter of alters) expect(render(alter)).toBe(alter.replace(/^ALTER TABLE (\w+) /, "ALTER TABLE $1 ON CLUSTER 'audit' "));
  });

  it('refuses, on a cluster only, a statement it has no replicated form for', () => {
    const refused = [
      'ALTER TABLE audit_events ADD COLUMN x String',
      'ALTER TABLE audit_events ADD PROJECTION p (SELECT id ORDER BY id)',
      'ALTER TABLE audit_events DROP PROJECTION p',
      'ALTER TABLE audit_events MATERIALIZE COLUMN x IN PARTITION 202601',
      'ALTER TABLE audit_events DELETE WHERE 1',
      'CREATE TABLE IF NOT EXISTS m (k String) ENGINE = Memory',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS v ENGINE = SummingMergeTree ORDER BY k AS SELECT k FROM t',
      'CREATE TABLE t (k String) ENGINE = MergeTree ORDER BY k',
      "INSERT INTO audit_events_hourly VALUES ('acme', 'LOGIN', now(), 1, 0, 0)",
    ];
    for (const statement of refused) {
      expect(renderStatement(statement, {})).toBe(statement);
      expect(() => render(statement)).toThrow(UnreplicableStatementError);
    }
  });

  it('inserts on a cluster wait for every replica and skip block deduplication', () => {
    expect(insertSettingsFor(cluster, 2)).toEqual({ insert_quorum: '2', insert_quorum_timeout: 30_000, insert_deduplicate: 0 });
  });

  it('removals on a cluster (TRUNCATE, DROP PARTITION, DELETE) return once every replica applied them', () => {
    expect(removalSettingsFor(cluster)).toEqual({ alter_sync: '2', mutations_sync: '2', lightweight_deletes_sync: '2' });
  });
});

describe('CLICKHOUSE_CLUSTER', () => {
  it('is read with a server, refused for embedded chDB or when it is not a cluster name', () => {
    expect(readClickHouseConfig({ CLICKHOUSE_URL: 'http://clickhouse-audit:8123', CLICKHOUSE_CLUSTER: 'audit' }).cluster).toBe('audit');
    expect(readClickHouseConfig({ CLICKHOUSE_URL: 'http://clickhouse-audit:8123' }).cluster).toBeUndefined();
    expect(() => readClickHouseConfig({ CLICKHOUSE_CLUSTER: 'audit' })).toThrow(/CLICKHOUSE_CLUSTER needs a ClickHouse server \(CLICKHOUSE_URL\)/);
    expect(() => readClickHouseConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: "audit' OR 1" })).toThrow(/CLICKHOUSE_CLUSTER must be a cluster name/);
  });
});

describe('replication failures', () => {
  it.each(['TOO_FEW_LIVE_REPLICAS', 'UNKNOWN_STATUS_OF_INSERT', 'KEEPER_EXCEPTION'])('%s (the quorum not reached) is transient', (type) => {
    expect(clickHouseFailureKind({ type, message: 'Number of alive replicas (1) is less than requested quorum (2/2)' })).toBe('transient');
  });
});
