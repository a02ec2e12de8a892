import type { AuditEvent } from './event';

/**
 * The event as an erasure of its person leaves it (POST /v1/erasures; ErasuresRepository in Postgres, the
 * same in ClickHouse): identity and times kept, every content field emptied: the actor and their snapshot,
 * IP address, response time, page, query and resource names, metadata.
 */
export function erasedEvent(event: AuditEvent): AuditEvent {
  return { ...event, userId: null, user: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null, metadata: {} };
}

/**
 * Whether an erasure of the event's person at `erasedAt` covers the event: the events received at or before
 * it, which it empties wherever they are, or later arrive (a consumer lagging on the bus). Later events are
 * new activity and stay whole. The writer's insert applies the same rule in SQL (AuditEventsWriteRepository).
 */
export function isErasedBy(event: Pick<AuditEvent, 'receivedAt'>, erasedAt: Date | number): boolean {
  return Date.parse(event.receivedAt) <= (typeof erasedAt === 'number' ? erasedAt : erasedAt.getTime());
}
