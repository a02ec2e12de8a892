import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { ClickHouse } from './clickhouse.service';
import { ENCODED_EVENT_COLUMNS, ENCODED_EVENT_FORMAT, type EncodedEventRow, type EventKey } from './encoded-event-row';

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

/** `2026-11-29T03:04:05.123Z` → `2026-11-29 03:04:05.123`, the DateTime64 text form (always UTC here). */
export const toClickHouseTime = (iso: string | Date): string => (typeof iso === 'string' ? iso : iso.toISOString()).replace('T', ' ').replace(/Z$/, '');

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

/** Writes the event projection. Inserts are whole batches, never a row at a time. */
@Injectable()
export class ClickHouseEventsRepository {
  constructor(private readonly ch: ClickHouse) {}

  /**
   * Inserts the rows whose id is not in the table yet and returns how many that was. The check reads
   * only the primary-key range the batch spans, so redelivery and replay never double-count, in the
   * events or in the rollups fed by materialized views.
   */
  async insertNew(rows: readonly ClickHouseEventRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    return this.insertExcept(rows, await this.existingIds(rows));
  }

  /**
   * The duplicate check alone: the ids of these rows that the table already holds. It reads only the
   * batch's organizations over the batch's createdAt range, which the primary key (organizationId,
   * createdAt, id) prunes to a few granules; exact because an event's createdAt never changes with
   * its id.
   */
  async existingIds(rows: readonly EventKey[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    let from = rows[0].createdAt;
    let to = rows[0].createdAt;
    const orgs = new Set<string>();
    let ids = '';
    for (const row of rows) {
      if (row.createdAt < from) from = row.createdAt;
      if (row.createdAt > to) to = row.createdAt;
      orgs.add(row.organizationId);
      ids += ids === '' ? row.id : `,${row.id}`;
    }
    const result = await this.ch.client.query({
      // The alias must not be `id`: it would shadow the column in the WHERE clause and match nothing.
      // The ids travel as one comma-separated string: an Array(UUID) parameter of thousands of elements
      // costs the client more to format (and the URL more bytes on a server) than the check itself.
      query: `SELECT toString(id) AS existingId FROM audit_events
              WHERE organizationId IN {orgs:Array(String)}
                AND createdAt BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')}
                AND id IN arrayMap(x -> toUUID(x), splitByChar(',', {ids:String}))`,
      query_params: { orgs: [...orgs], from, to, ids },
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ existingId: string }>()).map((r) => r.existingId));
  }

  /**
   * Inserts the rows whose id is not in `known`, each id once (the first of repeats within the batch),
   * and returns how many that was. `known` must hold every id of these rows already stored: the result
   * of {@link existingIds}, plus whatever was inserted since that check began.
   */
  async insertExcept(rows: readonly ClickHouseEventRow[], known: ReadonlySet<string>): Promise<number> {
    const fresh = unknownRows(rows, known);
    if (fresh.length === 0) return 0;
    await this.ch.client.insert({
      table: 'audit_events',
      values: fresh,
      format: 'JSONEachRow',
      // On a cluster: the quorum of every replica, so the next batch's check sees these rows on any replica.
      clickhouse_settings: { date_time_input_format: 'best_effort', ...this.ch.insertSettings },
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
      clickhouse_settings: { ...this.ch.insertSettings },
    });
    return fresh.length;
  }
}

/** The rows whose id is not in `known`, each id once: the first of repeats within the batch. */
function unknownRows<T extends EventKey>(rows: readonly T[], known: ReadonlySet<string>): T[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (known.has(row.id) || seen.has(row.id)) return false;
    seen.add(row.id);
    return true;
  });
}
