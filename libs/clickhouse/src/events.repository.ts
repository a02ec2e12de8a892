import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { AuditEvent, ClickHouseEventColumn } from '@audit/contracts';
import { ClickHouse } from './clickhouse.service';
import { ENCODED_EVENT_COLUMNS, ENCODED_EVENT_FORMAT, ENCODED_KEY_COLUMNS, encodeKeyRows, type EncodedEventRow, type EventKey } from './encoded-event-row';
import { DUPLICATE_CHECK_KEYS, duplicateCheckSettings, duplicateCheckStatement, type DuplicateCheckSource } from './duplicate-check';
import { coveringRanges, monthGroups, rangesCondition } from './key-ranges';
import { ROLLUPS, spanStart } from './rollups';
import { fromClickHouseTime, toClickHouseTime } from './time';

export { fromClickHouseTime, toClickHouseTime } from './time';

/** A row of `audit_events`, as sent in JSONEachRow. */
export interface ClickHouseEventRow {
  id: string;
  organizationId: string;
  actionType: string;
  userId: string | null;
  userEmail: string | null;
  userName: string | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  metadata: string;
  createdAt: string;
  receivedAt: string;
}

// Fails to compile when the row and the event table's ClickHouse columns disagree (a column missing from either).
type RowColumnsMismatch = Exclude<keyof ClickHouseEventRow, ClickHouseEventColumn> | Exclude<ClickHouseEventColumn, keyof ClickHouseEventRow>;
type Assert<T extends true> = T;
export type ClickHouseEventRowChecked = Assert<[RowColumnsMismatch] extends [never] ? true : false>;

export function toClickHouseRow(event: AuditEvent): ClickHouseEventRow {
  return {
    id: event.id,
    organizationId: event.organizationId,
    actionType: event.actionType,
    userId: event.userId,
    userEmail: event.user?.email ?? null,
    userName: event.user?.userName ?? null,
    ipAddress: event.ipAddress,
    responseTimeMs: event.responseTimeMs,
    pageName: event.pageName,
    queryName: event.queryName,
    resourceName: event.resourceName,
    metadata: JSON.stringify(event.metadata),
    createdAt: toClickHouseTime(event.createdAt),
    receivedAt: toClickHouseTime(event.receivedAt),
  };
}

/**
 * An event's identity in the projection: its id is unique within its organization, not across them, so
 * every set of "known" events below holds these keys, never bare ids. Ids compare lower-cased, as
 * ClickHouse prints a UUID.
 */
export const eventKey = (row: { organizationId: string; id: string }): string => `${row.organizationId}/${row.id.toLowerCase()}`;

/** What the duplicate check found of a batch, as {@link eventKey}s. */
export interface BatchCheck {
  /** In `audit_events`, read over the batch's organizations and createdAt ranges. */
  stored: ReadonlySet<string>;
  /** In the id registry `audit_event_ids`: projected completely (the row and its rollup rows), whatever its createdAt. */
  registered: ReadonlySet<string>;
}

/** How many span ranges one rebuild of rollup spans reads at most: the widest gaps between the spans split them. */
const SPAN_RANGES = 16;

/**
 * No limit on the partitions (months) one INSERT may touch. ClickHouse's default (100) failed a projector
 * batch of events spread over ten years for good, and the consumer then retried it one message at a time
 * (measured: 20,000 events over 120 months not settled after 11 minutes). The projector now inserts such a
 * batch in groups of MONTHS_PER_INSERT months, but a rebuild's page from Postgres and a repair of rollup
 * spans may still span any number of months.
 */
const MANY_PARTITIONS = { max_partitions_per_insert_block: '0' } as const;

/** Months (partitions) one INSERT of a batch touches at most; see {@link ClickHouseEventsRepository.complete}. */
export const MONTHS_PER_INSERT = 12;

/**
 * Writes the event projection. Inserts are whole batches, never a row at a time.
 *
 * A batch is complete when its rows are in `audit_events`, the views have added them to the rollups, and
 * their ids are in the registry `audit_event_ids`, written last. The duplicate check reads both tables, so
 * an id is skipped forever once registered (whatever createdAt a re-send carries), and an id in the
 * events but not in the registry is what a crash between the two leaves: its row is there, but its rollup
 * rows may not be, so the rollup spans of such ids are rebuilt from the events before they are registered.
 */
@Injectable()
export class ClickHouseEventsRepository {
  constructor(private readonly ch: ClickHouse) {}

  /**
   * Inserts the rows not stored yet (each key once), completes any left half-done by an earlier attempt,
   * and returns how many rows it inserted: redelivery and replay never double-count, in the events or in
   * the rollups fed by materialized views.
   */
  async insertNew(rows: readonly ClickHouseEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.complete(rows, await this.check(rows), (group, known) => this.insertExcept(group, known));
  }

  /**
   * A rebuild's insert (the scope was just cleared, so the registry, which is never cleared, is not
   * consulted): inserts the rows not in `audit_events` yet and registers every one of them.
   */
  async reload(rows: readonly ClickHouseEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const inserted = await this.insertExcept(rows, (await this.check(rows)).stored);
    await this.register(rows);
    return inserted;
  }

  /**
   * The duplicate check: which of these rows are stored, and which are registered. One statement per
   * {@link DUPLICATE_CHECK_KEYS} rows, reading both tables, with no parameters (see duplicateCheckStatement:
   * on embedded chDB it does not take the turn the administrators' reads wait for).
   */
  async check(rows: readonly EventKey[]): Promise<BatchCheck> {
    const stored = new Set<string>();
    const registered = new Set<string>();
    for (let i = 0; i < rows.length; i += DUPLICATE_CHECK_KEYS) {
      const query = duplicateCheckStatement(rows.slice(i, i + DUPLICATE_CHECK_KEYS));
      const result = await this.ch.client.query({ query, format: 'JSONEachRow', clickhouse_settings: duplicateCheckSettings(query) });
      for (const row of await result.json<{ t: DuplicateCheckSource; o: string; i: string }>()) {
        (row.t === 's' ? stored : registered).add(eventKey({ organizationId: row.o, id: row.i }));
      }
    }
    return { stored, registered };
  }

  /**
   * Completes a batch given its check (plus whatever was committed since, as registered): `insert` stores
   * the rows not known (its second argument: the keys to skip), the rollup spans of rows found stored but
   * not registered are rebuilt, and every row not registered yet is registered. Returns the sum of what
   * `insert` returned. Safe to repeat after a failure at any step: nothing is registered before its rollups
   * are right.
   *
   * A batch over many months goes in groups of {@link MONTHS_PER_INSERT} months, each completed (inserted,
   * repaired, registered) before the next: an INSERT writes one part per partition and table, so one
   * statement over 120 months ran for tens of seconds under load, and `signal` (the service stopping) is
   * obeyed between groups; the groups already done are registered, so the redelivered batch skips them.
   */
  async complete<Row extends EventKey>(
    rows: readonly Row[],
    check: BatchCheck,
    insert: (rows: readonly Row[], known: ReadonlySet<string>) => Promise<number>,
    signal?: AbortSignal,
  ): Promise<number> {
    const known = new Set(check.stored);
    for (const key of check.registered) known.add(key);
    const registered = new Set(check.registered);
    let inserted = 0;
    for (const group of monthGroups(rows, MONTHS_PER_INSERT)) {
      signal?.throwIfAborted();
      inserted += await insert(group, known);
      const unregistered = group.filter((row) => !registered.has(eventKey(row)));
      const halfDone = unregistered.filter((row) => check.stored.has(eventKey(row)));
      if (halfDone.length > 0) await this.rebuildRollupSpans(halfDone);
      await this.register(unregistered);
      // The same id may come again in a later group with another createdAt (a re-send inside the batch).
      for (const row of group) {
        known.add(eventKey(row));
        registered.add(eventKey(row));
      }
    }
    return inserted;
  }

  /** Records these rows' ids as projected completely (a repeat is harmless: the table replaces by its key). */
  async register(rows: readonly EventKey[]): Promise<void> {
    if (rows.length === 0) return;
    await this.ch.client.insert({
      table: 'audit_event_ids',
      columns: [...ENCODED_KEY_COLUMNS],
      values: Readable.from([encodeKeyRows(rows)], { objectMode: false }),
      format: ENCODED_EVENT_FORMAT,
      clickhouse_settings: { ...this.ch.insertSettings },
    });
  }

  /**
   * Recomputes, from `audit_events`, every rollup row of the organizations × spans (hours, days) these
   * events fall in: the rows are deleted, then the views' aggregate of the events of those spans is
   * inserted (rollup rows add up when inserted, so it is replace, not add). What the projector runs for
   * events an earlier attempt stored without finishing: whether their view rows were written or not, the
   * spans are exact after it. Runs in the projector's insert turn, so no batch of this process inserts
   * into those spans meanwhile.
   */
  async rebuildRollupSpans(rows: readonly EventKey[]): Promise<void> {
    if (rows.length === 0) return;
    const orgs = [...new Set(rows.map((row) => row.organizationId))];
    for (const rollup of ROLLUPS) {
      const spans = new Map<string, { org: string; param: string; start: number }>();
      for (const row of rows) {
        const span = spanStart(rollup, new Date(fromClickHouseTime(row.createdAt)));
        spans.set(`${row.organizationId}|${span.param}`, { org: row.organizationId, param: span.param, start: span.start.getTime() });
      }
      const list = [...spans.values()];
      const cover = coveringRanges(
        list.map((span) => span.start),
        SPAN_RANGES,
      );
      const spanRanges = rangesCondition(rollup.span.column, cover, rollup.span.type, (ms) => spanStart(rollup, new Date(ms)).param, 's');
      const eventRanges = rangesCondition(
        'createdAt',
        cover.map((range) => ({ from: range.from, to: range.to + rollup.span.ms - 1 })),
        "DateTime64(3, 'UTC')",
        (ms) => toClickHouseTime(new Date(ms)),
        'e',
      );
      const params = { orgs, spanOrgs: list.map((span) => span.org), spanStarts: list.map((span) => span.param), ...spanRanges.params, ...eventRanges.params };
      const pairs = `arrayZip({spanOrgs:Array(String)}, {spanStarts:Array(${rollup.span.type})})`;
      await this.ch.client.command({
        query: `DELETE FROM ${rollup.table} WHERE organizationId IN {orgs:Array(String)} AND ${spanRanges.sql}
                AND has(${pairs}, (toString(organizationId), ${rollup.span.column}))`,
        query_params: params,
        clickhouse_settings: this.ch.removalSettings,
      });
      await this.ch.client.command({
        query: `INSERT INTO ${rollup.table} ${rollup.select(
          `organizationId IN {orgs:Array(String)} AND ${eventRanges.sql} AND has(${pairs}, (toString(organizationId), ${rollup.span.ofEvent}))`,
          'audit_events FINAL',
        )}`,
        query_params: params,
        // A span's aggregate may equal one inserted before (on a cluster, block deduplication would drop it).
        clickhouse_settings: { ...MANY_PARTITIONS, ...this.ch.insertSettings },
      });
    }
  }

  /**
   * Erasure: empties the content of every event of `userId` in the organization (actor, e-mail, name,
   * IP address, response time, names, metadata) and rebuilds the rollups of the spans those events fall
   * in, so no per-user row keeps them. Matching on the user id rather than on event ids makes a repeat
   * after a failure finish the job. Only the events received by `erasedAt` (the erasure's time): later ones
   * are new activity, as Postgres and the streams keep them (isErasedBy). Returns how many events were emptied.
   */
  async eraseUser(organizationId: string, userId: string, erasedAt: Date): Promise<number> {
    const params = { org: organizationId, user: userId, through: toClickHouseTime(erasedAt) };
    const result = await this.ch.client.query({
      query: `SELECT toString(id) AS id, organizationId, toString(createdAt) AS createdAt FROM audit_events
              WHERE organizationId = {org:String} AND userId = {user:String} AND receivedAt <= {through:DateTime64(3, 'UTC')}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await result.json<EventKey>();
    if (rows.length === 0) return 0;
    await this.ch.client.command({
      // mutations_sync in the statement: chDB would keep a session setting for every later query.
      query: `ALTER TABLE audit_events UPDATE userId = NULL, userEmail = NULL, userName = NULL, ipAddress = NULL, responseTimeMs = NULL,
                pageName = NULL, queryName = NULL, resourceName = NULL, metadata = '{}'
              WHERE organizationId = {org:String} AND userId = {user:String} AND receivedAt <= {through:DateTime64(3, 'UTC')}
              SETTINGS mutations_sync = 2`,
      query_params: params,
    });
    await this.rebuildRollupSpans(rows);
    return rows.length;
  }

  /**
   * Inserts the rows whose key is not in `known`, each key once (the first of repeats within the batch),
   * and returns how many that was. `known` must hold the key of every one of these rows already stored:
   * the result of {@link check}, plus whatever was inserted since that check began.
   */
  async insertExcept(rows: readonly ClickHouseEventRow[], known: ReadonlySet<string>): Promise<number> {
    const fresh = unknownRows(rows, known);
    if (fresh.length === 0) return 0;
    await this.ch.client.insert({
      table: 'audit_events',
      values: fresh,
      format: 'JSONEachRow',
      // On a cluster: the quorum of every replica, so the next batch's check sees these rows on any replica.
      clickhouse_settings: { date_time_input_format: 'best_effort', ...MANY_PARTITIONS, ...this.ch.insertSettings },
    });
    return fresh.length;
  }

  /** {@link insertExcept} for rows the projector encoded as it decoded them ({@link encodeEventRow}). */
  async insertEncodedExcept(rows: readonly EncodedEventRow[], known: ReadonlySet<string>): Promise<number> {
    const fresh = unknownRows(rows, known);
    if (fresh.length === 0) return 0;
    const body = Buffer.concat(fresh.map((row) => row.line));
    await this.ch.client.insert({
      table: 'audit_events',
      columns: [...ENCODED_EVENT_COLUMNS],
      values: Readable.from([body], { objectMode: false }),
      format: ENCODED_EVENT_FORMAT,
      // On a cluster: the quorum of every replica, so the next batch's check sees these rows on any replica.
      clickhouse_settings: { ...MANY_PARTITIONS, ...this.ch.insertSettings },
    });
    return fresh.length;
  }
}

/** The rows whose key is not in `known`, each key once: the first of repeats within the batch. */
function unknownRows<T extends EventKey>(rows: readonly T[], known: ReadonlySet<string>): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = eventKey(row);
    if (known.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
