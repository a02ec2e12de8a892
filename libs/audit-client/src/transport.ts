import type { AuditEventInput } from '@audit/contracts';

/**
 * An event as the client hands it to a transport: the emitter's input with
 * its idempotency key `id` and its `createdAt` (ISO-8601) always set. It never
 * carries `receivedAt` or `schemaVersion`, which belong to ingest.
 */
export type AuditEventWithId = Omit<AuditEventInput, 'id' | 'createdAt'> & {
  /** Idempotency key within the organization: the stored event id, and with the organization the NATS `Nats-Msg-Id`. */
  id: string;
  /** When the action happened, ISO-8601. */
  createdAt: string;
};

/**
 * How an {@link AuditClient} delivers events. Implementations must be
 * all-or-nothing from the caller's point of view: resolve only once every
 * event was accepted, otherwise throw an `AuditClientError`. Resending the same
 * events (same ids) after a failure must be safe.
 *
 * Provided: `NatsTransport` (JetStream, preferred inside the platform's
 * network) and `HttpTransport` (`POST /v1/events` with an ingest API key).
 */
export interface AuditTransport {
  /** Delivers the events (at most `MAX_BATCH_EVENTS` per call when called by `AuditClient`). */
  send(events: AuditEventWithId[]): Promise<void>;
  /** Releases what the transport owns (connections). Idempotent. */
  close(): Promise<void>;
}

/** Subjects emitters publish to start with this; the `AUDIT_INGEST` stream captures `audit.ingest.>`. */
export const INGEST_SUBJECT_PREFIX = 'audit.ingest';

/** Where emitters publish on NATS: `audit.ingest.<organizationId>`. */
export function ingestSubject(organizationId: string, prefix: string = INGEST_SUBJECT_PREFIX): string {
  return `${prefix}.${organizationId}`;
}
