import { counter } from '@audit/platform';

/** Events accepted and published to AUDIT_EVENTS, by source (`http` or `nats`): one metric for both ingest paths. */
export const acceptedEvents = counter('audit_ingest_events_accepted_total', 'Events accepted and published to AUDIT_EVENTS', ['source']);
export const rejectedEvents = counter('audit_ingest_events_rejected_total', 'Events refused at ingest, by reason', ['source', 'reason']);
