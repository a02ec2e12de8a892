import type { ClickHouseSettings } from '@clickhouse/client';

/**
 * Where the projection's schema lives: on one server (or embedded chDB), or on every replica of a
 * ClickHouse cluster (`CLICKHOUSE_CLUSTER`). The migration files are written for one server; for a
 * cluster each statement is rendered with `ON CLUSTER` and a `Replicated*` engine, so the files stay the
 * single description of the schema.
 */
export interface SchemaLayout {
  /** The cluster of `remote_servers` (the Altinity installation's cluster name); unset: one server. */
  cluster?: string;
}

/** A cluster name as ClickHouse and the Altinity operator accept it, safe inside a quoted literal. */
export const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Where Keeper keeps each replicated table: one path per shard, database and table. */
export const replicatedTablePath = (table: string): string => `/clickhouse/tables/{shard}/{database}/${table}`;

/** A statement of a migration file that has no replicated rendering (see renderStatement). */
export class UnreplicableStatementError extends Error {
  constructor(statement: string, why: string) {
    super(`cannot render this ClickHouse statement for a cluster (${why}): ${statement.split('\n')[0]}`);
    this.name = 'UnreplicableStatementError';
  }
}

const ON_CLUSTER = (cluster: string): string => `ON CLUSTER '${cluster}'`;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)(?=[\s(])/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+)(?=\s)/;
const INSERT_SELECT = /^INSERT INTO \w+\s+SELECT\b/;
// Only idempotent changes: a migration re-run after a partial failure must not fail on what it did. The
// additions in their IF NOT EXISTS form; MATERIALIZE (a mutation writing a column, index or projection into
// the parts that predate it) and MODIFY SETTING may run twice and leave the same table.
const ALTER_TABLE = /^ALTER TABLE (\w+) (?=ADD (?:COLUMN|INDEX|PROJECTION) IF NOT EXISTS\b|MATERIALIZE (?:COLUMN|INDEX|PROJECTION) \w+$|MODIFY SETTING\b)/;
// The MergeTree family member and its own arguments (a ReplacingMergeTree's version column, a
// SummingMergeTree's columns), which the Replicated engine takes after Keeper's path and the replica.
// Nested parentheses in the arguments are not matched at all (so refused), never half-rewritten.
const ENGINE = /\bENGINE = ((?:Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing)?MergeTree)\b(?:\(([^()]*)\))?(?!\s*\()/g;

/**
 * The statement as it must run in `layout`. Without a cluster it is returned unchanged, character for
 * character (embedded chDB and a single server run exactly the migration files). On a cluster:
 *
 * - `CREATE TABLE IF NOT EXISTS t … ENGINE = XMergeTree(args)` becomes `CREATE TABLE IF NOT EXISTS t
 *   ON CLUSTER 'c' … ENGINE = ReplicatedXMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}', args)`:
 *   CREATE is not replicated by ClickHouse, so ON CLUSTER creates the table on every replica, and the
 *   Replicated engine makes them one table through Keeper ({shard} and {replica} are the operator's macros);
 * - `CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t` gets `ON CLUSTER 'c'`: a materialized view fires only
 *   on the replica that received the INSERT, so it must exist on every replica, and it writes into the
 *   replicated `t`, which carries its rows to the others;
 * - `ALTER TABLE t ADD COLUMN|INDEX|PROJECTION IF NOT EXISTS …`, `ALTER TABLE t MATERIALIZE
 *   COLUMN|INDEX|PROJECTION x` and `ALTER TABLE t MODIFY SETTING …` get `ON CLUSTER 'c'`, so every
 *   replica's table (and its Keeper metadata) changes the same way;
 * - `INSERT INTO t SELECT …` (a backfill) runs unchanged, once, on the replica the migration runs on: the
 *   replicated `t` carries its rows to the others.
 *
 * Anything else is refused rather than guessed at: a new kind of statement in a migration must be given
 * its cluster form here deliberately (the unit test renders every migration file for a cluster).
 */
export function renderStatement(statement: string, layout: SchemaLayout): string {
  const { cluster } = layout;
  if (!cluster) return statement;
  const table = CREATE_TABLE.exec(statement);
  if (table) {
    const name = table[1];
    const engines = [...statement.matchAll(ENGINE)];
    if (engines.length !== 1) throw new UnreplicableStatementError(statement, `expected one MergeTree-family ENGINE, found ${engines.length}`);
    return statement
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${name} ${ON_CLUSTER(cluster)}`)
      .replace(ENGINE, (_match, engine: string, args: string | undefined) => {
        const own = args?.trim() ? `, ${args.trim()}` : '';
        return `ENGINE = Replicated${engine}('${replicatedTablePath(name)}', '{replica}'${own})`;
      });
  }
  const view = CREATE_MV.exec(statement);
  if (view) return statement.replace(CREATE_MV, `CREATE MATERIALIZED VIEW IF NOT EXISTS ${view[1]} ${ON_CLUSTER(cluster)} TO ${view[2]}`);
  const alter = ALTER_TABLE.exec(statement);
  if (alter) return statement.replace(ALTER_TABLE, `ALTER TABLE ${alter[1]} ${ON_CLUSTER(cluster)} `);
  if (INSERT_SELECT.test(statement)) return statement;
  throw new UnreplicableStatementError(
    statement,
    'only CREATE TABLE IF NOT EXISTS, CREATE MATERIALIZED VIEW IF NOT EXISTS … TO, ALTER TABLE … ADD COLUMN|INDEX|PROJECTION IF NOT EXISTS, ' +
      'ALTER TABLE … MATERIALIZE COLUMN|INDEX|PROJECTION, ALTER TABLE … MODIFY SETTING and INSERT INTO … SELECT have a cluster form',
  );
}

/** `CREATE DATABASE IF NOT EXISTS db`, on every replica of the cluster when there is one. */
export const createDatabaseStatement = (database: string, layout: SchemaLayout): string =>
  layout.cluster ? `CREATE DATABASE IF NOT EXISTS ${database} ${ON_CLUSTER(layout.cluster)}` : `CREATE DATABASE IF NOT EXISTS ${database}`;

/** How long an INSERT waits for every replica (the consumer keeps the batch alive with `working()` meanwhile). */
export const INSERT_QUORUM_TIMEOUT_MS = 30_000;

/**
 * Settings for every INSERT into the replicated tables (none on one server):
 *
 * - `insert_quorum` = every replica of the shard: an INSERT returns only once each replica holds the
 *   part, so the projector's duplicate check (a SELECT that the Service may send to any replica) sees
 *   every batch inserted before it. A quorum that is not reached fails the INSERT and ClickHouse removes
 *   the block from the replicas that had it, so a retry starts clean. The cost: while a replica is down
 *   INSERTs fail (TOO_FEW_LIVE_REPLICAS, retried as transient) and the projection waits in JetStream.
 * - `insert_quorum_timeout` bounded, so a slow replica fails the batch (and it is retried) rather than
 *   holding it: the consumer keeps a batch in hand alive with `working()` however long it waits.
 * - `insert_deduplicate = 0`: Replicated tables drop an INSERT whose block hash Keeper remembers, and a
 *   delete does not forget the hash. Every insert here is either filtered by the duplicate check or a
 *   rewrite after a delete (projection rebuild, retention's rollup hour), where a block identical to one
 *   inserted earlier is wanted data that block deduplication would silently drop.
 */
export function insertSettingsFor(layout: SchemaLayout, replicas: number): ClickHouseSettings {
  if (!layout.cluster) return {};
  return { insert_quorum: String(replicas), insert_quorum_timeout: INSERT_QUORUM_TIMEOUT_MS, insert_deduplicate: 0 };
}

/**
 * Settings for the statements that remove data (TRUNCATE, DROP PARTITION, DELETE, ALTER … DELETE) on
 * the replicated tables (none on one server). Those statements replicate by themselves through Keeper's
 * log, but by default TRUNCATE and DROP PARTITION return once the replica that received them is done.
 * Waiting for every replica makes "purged" true everywhere when it is recorded, and keeps the projection
 * rebuild right: its duplicate check right after the clear may run on the other replica, which must no
 * longer hold the rows just cleared (or it would skip re-inserting them, and then drop them).
 */
export function removalSettingsFor(layout: SchemaLayout): ClickHouseSettings {
  if (!layout.cluster) return {};
  return { alter_sync: '2', mutations_sync: '2', lightweight_deletes_sync: '2' };
}
