import type { AuditEvent } from '@audit/contracts';

/** One event ready to leave: its record in the stream's format, and where it sits in AUDIT_EVENTS. */
export interface OutgoingRecord {
  event: AuditEvent;
  record: string;
  /** Stream sequence and the time the bus stored it (S3 names its objects by them). */
  seq: number;
  storedAt: Date;
}

/** A chunk's request body, built ahead of its turn (see {@link Sender.prepare}), with the records it carries. */
export interface PreparedChunk {
  readonly records: readonly OutgoingRecord[];
  readonly body: Buffer | string;
}

/**
 * Sends chunks of records to one destination. `deliver` resolves once the receiver accepted the chunk; it
 * throws `DeliveryRejectedError` (from @audit/sinks) for a permanent refusal and anything else for a failure
 * worth retrying. A sender holds no secret in anything it throws or logs.
 *
 * Building a body (serialising, compressing) is split from sending it so that a stream builds the next
 * chunk's body while the one before it is still in flight: `prepare` holds nothing of the request that may
 * go stale on a retry (a signature's time, the connection), `deliver` may be called again with the same
 * prepared chunk after a failure.
 */
export interface Sender {
  /** What one request may carry. */
  readonly maxEvents: number;
  readonly maxBytes: number;
  prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk>;
  deliver(prepared: PreparedChunk): Promise<void>;
  /** `prepare` then `deliver` (a test delivery, a one-off). */
  send(chunk: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** The `send` every sender has: its own `prepare`, then its own `deliver`. */
export abstract class ChunkSender implements Sender {
  abstract readonly maxEvents: number;
  abstract readonly maxBytes: number;
  abstract prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk>;
  abstract deliver(prepared: PreparedChunk): Promise<void>;
  abstract close(): Promise<void>;

  async send(chunk: readonly OutgoingRecord[]): Promise<void> {
    await this.deliver(await this.prepare(chunk));
  }
}

/** How a stream of this destination batches: the size of a batch, how long it fills, and its consumer's ack wait. */
export interface BatchShape {
  maxBatchMessages: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  /** Covers the time a batch fills, so messages held for their slice need few `working()` signals (see batchShape). */
  ackWaitMs: number;
}

/** Formats whose records are JSON objects (embedded as JSON by HTTP destinations); the others are text lines. */
export const isJsonRecord = (record: string): boolean => record.startsWith('{');

/**
 * `open + parts.join(separator) + close` as UTF-8 bytes, each part written once straight into one Buffer of
 * the right size. Joining a chunk's thousand records into one string and then encoding it copied every
 * byte twice and made a megabyte string per batch for the garbage collector: about three times the CPU.
 */
export function bodyOf(parts: readonly string[], open = '', separator = '', close = ''): Buffer {
  const separatorBytes = Buffer.byteLength(separator, 'utf8');
  let size = Buffer.byteLength(open, 'utf8') + Buffer.byteLength(close, 'utf8') + Math.max(0, parts.length - 1) * separatorBytes;
  for (const part of parts) size += Buffer.byteLength(part, 'utf8');
  const body = Buffer.allocUnsafe(size);
  let at = body.write(open, 0, 'utf8');
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 && separatorBytes > 0) at += body.write(separator, at, 'utf8');
    at += body.write(parts[i], at, 'utf8');
  }
  at += body.write(close, at, 'utf8');
  // Every byte was written (a short write would leave uninitialised memory in a request).
  if (at !== size) throw new Error(`request body of ${size} bytes was written as ${at}`);
  return body;
}
