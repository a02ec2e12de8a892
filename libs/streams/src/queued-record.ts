import type { Delivery } from '@audit/messaging';
import type { OutgoingEntry } from './destinations';

/**
 * What decoding made of one message of a stream (see StreamWorker.decode): the entry to send, `null` for an
 * event the stream does not send (outside its filter, or stored after a replay was asked for: acked unsent),
 * or an event that cannot be written in the stream's format (dead-lettered with the reason).
 */
export type DecodedEntry = string | null | Unformattable;

/** An event that cannot be written in the stream's format, and why. */
export class Unformattable {
  constructor(readonly reason: string) {}
}

/**
 * An entry on its way out, with the delivery it came in (to settle it). One object per event: the sequence
 * and the stored time are read from the delivery when a sender asks, so no wrapper and no `Date` is made per
 * event (only S3 reads the stored time, of a chunk's first entry).
 */
export class QueuedEntry implements OutgoingEntry {
  constructor(
    readonly delivery: Delivery<DecodedEntry>,
    readonly entry: string,
  ) {}

  get seq(): number {
    return this.delivery.message.seq;
  }

  get storedAt(): Date {
    return this.delivery.message.time;
  }
}

/** Bytes an entry adds to a request, framing included (the chunk byte cap counts these). */
export const requestBytesOf = (queued: QueuedEntry): number => Buffer.byteLength(queued.entry) + 16;

/**
 * The batch by stream sequence. It almost always arrives in order: then it is returned as it is, checked in
 * one pass, rather than copied and sorted for every batch.
 */
export function inStreamOrder<T extends { message: { seq: number } }>(batch: ReadonlyArray<T>): ReadonlyArray<T> {
  for (let i = 1; i < batch.length; i++) {
    if (batch[i].message.seq < batch[i - 1].message.seq) return [...batch].sort((a, b) => a.message.seq - b.message.seq);
  }
  return batch;
}
