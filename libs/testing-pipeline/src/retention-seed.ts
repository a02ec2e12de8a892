import { randomUUID } from 'node:crypto';
import { toClickHouseTime, type ClickHouseEventRow } from '@audit/clickhouse';

/** One event as the retention tests know it: enough to place it in both stores and judge it. */
export interface SeedEvent {
  id: string;
  organizationId: string;
  actionType: string;
  createdAt: Date;
  responseTimeMs: number | null;
}

export const seedEvent = (organizationId: string, createdAt: Date, actionType = 'LOGIN', responseTimeMs: number | null = 12): SeedEvent => ({
  id: randomUUID(),
  organizationId,
  actionType,
  createdAt,
  responseTimeMs,
});

/** Inserts events straight into the system of record, as the writer would have stored them. */
export async function insertSeedEvents(query: (sql: string, params?: unknown[]) => Promise<unknown>, events: readonly SeedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await query(
    `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "responseTimeMs", "createdAt", "receivedAt")
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $5::timestamptz[])`,
    [events.map((e) => e.id), events.map((e) => e.organizationId), events.map((e) => e.actionType), events.map((e) => e.responseTimeMs), events.map((e) => e.createdAt)],
  );
}

/** The projection's row of an event, as the projector would insert it (the hourly rollup fills from it). */
export const seedProjectionRow = (e: SeedEvent): ClickHouseEventRow => ({
  id: e.id,
  organizationId: e.organizationId,
  actionType: e.actionType,
  userId: null,
  userEmail: null,
  userName: null,
  ipAddress: null,
  responseTimeMs: e.responseTimeMs,
  pageName: null,
  queryName: null,
  resourceName: null,
  metadata: '{}',
  createdAt: toClickHouseTime(e.createdAt),
  receivedAt: toClickHouseTime(e.createdAt),
});
