import { counter } from '@audit/platform';

/** Events accepted and published to AUDIT_EVENTS, by source (`http` or `nats`): one metric for both ingest paths. */
export const acceptedEvents = counter('audit_ingest_events_accepted_total', 'Events accepted and published to AUDIT_EVENTS', ['source']);
export const rejectedEvents = counter('audit_ingest_events_rejected_total', 'Events refused at ingest, by reason', ['source', 'reason']);
/** Events of AUDIT_INGEST handed back to the stream to be delivered again later (not refused), by reason. */
export const deferredEvents = counter('audit_ingest_events_deferred_total', 'Events of AUDIT_INGEST handed back to the stream for later, by reason', ['reason']);
