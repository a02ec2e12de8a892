import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { ClickHouse } from './clickhouse.service';

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
    const existing = await this.existingIds(rows);
    const seen = new Set<string>();
    const fresh = rows.filter((row) => {
      if (existing.has(row.id) || seen.has(row.id)) return false;
      seen.add(row.id);
      return true;
    });
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

  private async existingIds(rows: readonly ClickHouseEventRow[]): Promise<Set<string>> {
    let from = rows[0].createdAt;
    let to = rows[0].createdAt;
    for (const row of rows) {
      if (row.createdAt < from) from = row.createdAt;
      if (row.createdAt > to) to = row.createdAt;
    }
    const result = await this.ch.client.query({
      // The alias must not be `id`: it would shadow the column in the WHERE clause and match nothing.
      query: `SELECT toString(id) AS existingId FROM audit_events
              WHERE organizationId IN {orgs:Array(String)}
                AND createdAt BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')}
                AND id IN {ids:Array(UUID)}`,
      query_params: { orgs: [...new Set(rows.map((r) => r.organizationId))], from, to, ids: rows.map((r) => r.id) },
      format: 'JSONEachRow',
    });
    return new Set((await result.json<{ existingId: string }>()).map((r) => r.existingId));
  }
}
