import type { AuditEvent } from './event';

/**
 * The event as an erasure of its person leaves it (POST /v1/erasures; ErasuresRepository in Postgres, the
 * same in ClickHouse): identity and times kept, every content field emptied: the actor and their snapshot,
 * IP address, response time, page, query and resource names, metadata.
 */
export function erasedEvent(event: AuditEvent): AuditEvent {
  return { ...event, userId: null, user: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null, metadata: {} };
}
