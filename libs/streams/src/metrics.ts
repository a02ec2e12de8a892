import { counter, gauge, histogram } from '@audit/platform';

/** Per stream (its id) and organization: what was delivered, refused, failed; lag; latency; whether failing. */
export const streamEvents = counter(
  'audit_stream_events_total',
  "Events each stream handled, by outcome (delivered; failed = an attempt that will be retried; dead_lettered = refused by the receiver; expired = past the organization's retention, not sent)",
  ['stream', 'organization', 'outcome'],
);
export const streamLag = gauge('audit_stream_lag', "Events of the organization a stream has not delivered yet (waiting in AUDIT_EVENTS plus in flight); paused streams are not counted", ['stream', 'organization']);
export const streamLatency = histogram('audit_stream_delivery_seconds', 'Time of one delivery request to a stream destination', ['destination']);
export const streamFailing = gauge('audit_stream_failing', '1 while a stream is failing (its last attempts failed; it keeps retrying)', ['stream', 'organization']);
