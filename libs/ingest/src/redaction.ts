import type { AuditEvent } from '@audit/contracts';

export interface RedactionPolicy {
  hideAllHeaders: boolean;
  /** Names of queries whose `metadata.parameters` are hidden, for the event's organization. */
  hiddenParameterQueries: ReadonlySet<string>;
}

/**
 * Removes what must never be stored. Runs in ingest, before the event reaches the bus, so hidden
 * data exists nowhere downstream. Returns a new event; the input is left untouched.
 */
export function redact(event: AuditEvent, policy: RedactionPolicy): AuditEvent {
  const hideHeaders = policy.hideAllHeaders && 'headers' in event.metadata;
  const hideParameters =
    event.queryName !== null && policy.hiddenParameterQueries.has(event.queryName) && 'parameters' in event.metadata;
  if (!hideHeaders && !hideParameters) return event;
  const metadata = { ...event.metadata };
  if (hideHeaders) delete metadata['headers'];
  if (hideParameters) delete metadata['parameters'];
  return { ...event, metadata };
}
