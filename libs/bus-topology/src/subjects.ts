import type { ActionType } from '@audit/contracts';

/** Stream and subject names: the bus contract of ARCHITECTURE.md. */
export const STREAMS = {
  ingest: 'AUDIT_INGEST',
  events: 'AUDIT_EVENTS',
  dlq: 'AUDIT_DLQ',
  checkpoints: 'AUDIT_CHECKPOINTS',
} as const;

export const SUBJECTS = {
  ingestAll: 'audit.ingest.>',
  eventsAll: 'audit.events.>',
  dlqAll: 'audit.dlq.>',
  checkpointsAll: 'audit.checkpoints.>',
} as const;

/** Where emitting services publish raw events: `audit.ingest.<org>`. */
export const ingestSubject = (organizationId: string): string => `audit.ingest.${organizationId}`;

/** Canonical events: `audit.events.<org>.<ACTION_TYPE>`, so a consumer can filter by either token. */
export const eventsSubject = (organizationId: string, actionType: ActionType): string =>
  `audit.events.${organizationId}.${actionType}`;

/** Signed checkpoints of an organization's log (C2SP signed notes), published by the sealer: `audit.checkpoints.<org>`. */
export const checkpointsSubject = (organizationId: string): string => `audit.checkpoints.${organizationId}`;

/** Dead letters carry the name of the consumer that gave up: `audit.dlq.<consumer>`. */
export const dlqSubject = (consumer: string): string => `audit.dlq.${consumer}`;

/** Headers a dead letter carries besides the original payload. */
export const DLQ_HEADERS = {
  reason: 'Audit-Dlq-Reason',
  consumer: 'Audit-Dlq-Consumer',
  subject: 'Audit-Dlq-Subject',
  streamSequence: 'Audit-Dlq-Stream-Seq',
  deliveries: 'Audit-Dlq-Deliveries',
} as const;
