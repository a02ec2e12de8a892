import type { AuditEvent } from '@audit/contracts';
import { actionFormat } from './action-formats';
import { groupName, targetUser, userAgent } from './event-text';
import { PRODUCT } from './product';

/** The Elastic Common Schema version whose field definitions the output follows (the tests check against them). */
export const ECS_VERSION = '8.11.0';

type Json = Record<string, unknown>;

/**
 * One event as an ECS 8.11 document. `event.id` is the event id, so a receiver deduplicates the
 * at-least-once stream on it (e.g. as the Elasticsearch `_id`). `event.original` holds the native event, so
 * nothing that has no ECS field (metadata, query parameters) is lost.
 */
export function toEcs(event: AuditEvent, native: string): Json {
  const format = actionFormat(event.actionType);
  const ecsEvent: Json = {
    id: event.id,
    action: event.actionType,
    kind: 'event',
    category: [format.ecs.category],
    type: format.ecs.type,
    // The platform records actions that were carried out.
    outcome: 'success',
    created: event.receivedAt,
    original: native,
  };
  // ECS durations are nanoseconds.
  if (event.responseTimeMs !== null) ecsEvent.duration = event.responseTimeMs * 1_000_000;
  const out: Json = {
    '@timestamp': event.createdAt,
    ecs: { version: ECS_VERSION },
    message: format.title,
    event: ecsEvent,
    organization: { id: event.organizationId },
    observer: { vendor: PRODUCT.vendor, product: PRODUCT.name, version: String(event.schemaVersion) },
  };
  if (event.userId !== null || event.user !== null) {
    const user: Json = {};
    if (event.userId !== null) user.id = event.userId;
    if (event.user !== null) {
      user.email = event.user.email;
      user.name = event.user.userName;
    }
    const target = targetUser(event);
    if (target !== undefined) user.target = { name: target };
    out.user = user;
  } else {
    const target = targetUser(event);
    if (target !== undefined) out.user = { target: { name: target } };
  }
  if (event.ipAddress !== null) out.source = { ip: event.ipAddress };
  const agent = userAgent(event);
  if (agent !== undefined) out.user_agent = { original: agent };
  if (format.ecs.type[0] === 'group') {
    const group = groupName(event);
    if (group !== undefined) out.group = { name: group };
  }
  // ECS labels are flat keyword key/values: the names that have no field of their own.
  if (event.pageName !== null || event.queryName !== null || event.resourceName !== null) {
    const labels: Record<string, string> = {};
    if (event.pageName !== null) labels.page_name = event.pageName;
    if (event.queryName !== null) labels.query_name = event.queryName;
    if (event.resourceName !== null) labels.resource_name = event.resourceName;
    out.labels = labels;
  }
  return out;
}
