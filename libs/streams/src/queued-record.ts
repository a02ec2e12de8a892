import type { DecodedCanonicalMessage, Delivery } from '@audit/messaging';
import type { AuditEvent } from '@audit/contracts';
import type { OutgoingRecord } from './destinations';

/**
 * An event's record on its way out, with the delivery it came in (to settle it). One object per event:
 * the event, the sequence and the stored time are read from the delivery when a sender asks, so no
 * wrapper and no `Date` is made per event (only S3 reads the stored time, of a chunk's first record).
 */
export class QueuedRecord implements OutgoingRecord {
  constructor(
    readonly delivery: Delivery<DecodedCanonicalMessage>,
    readonly record: string,
  ) {}

  get event(): AuditEvent {
    return this.delivery.payload.event;
  }

  get seq(): number {
    return this.delivery.seq;
  }

  get storedAt(): Date {
    return this.delivery.message.time;
  }
}

/** Bytes a record adds to a request, framing included (the chunk byte cap counts these). */
export const requestBytesOf = (queued: QueuedRecord): number => Buffer.byteLength(queued.record) + 16;

/**
 * The batch by stream sequence. It almost always arrives in order: then it is returned as it is, checked in
 * one pass, rather than copied and sorted for every batch.
 */
export function inStreamOrder<T extends { seq: number }>(batch: ReadonlyArray<T>): ReadonlyArray<T> {
  let previous = -Infinity;
  for (const { seq } of batch) {
    if (seq < previous) return [...batch].sort((a, b) => a.seq - b.seq);
    previous = seq;
  }
  return batch;
}
