import type { AuditEvent } from '@audit/contracts';

/** One event ready to leave: its record in the stream's format, and where it sits in AUDIT_EVENTS. */
export interface OutgoingRecord {
  event: AuditEvent;
  record: string;
  /** Stream sequence and the time the bus stored it (S3 names its objects by them). */
  seq: number;
  storedAt: Date;
}

/**
 * Sends chunks of records to one destination. `send` resolves once the receiver accepted the chunk; it throws
 * `DeliveryRejectedError` (from @audit/sinks) for a permanent refusal and anything else for a failure worth
 * retrying. A sender holds no secret in anything it throws or logs.
 */
export interface Sender {
  /** What one request may carry. */
  readonly maxEvents: number;
  readonly maxBytes: number;
  send(chunk: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** How a stream of this destination batches: the size of a batch, and how long it fills. */
export interface BatchShape {
  maxBatchMessages: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
}

/** Formats whose records are JSON objects (embedded as JSON by HTTP destinations); the others are text lines. */
export const isJsonRecord = (record: string): boolean => record.startsWith('{');
