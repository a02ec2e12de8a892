import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import { decodeCanonicalEvent, envelopeOf } from './decode-event';
import { streamSequenceOf } from './delivery-info';

interface Decoded {
  data: Uint8Array;
  subject: string;
  storedAtMs: number;
  event: AuditEvent;
  /** Readers still to come for this message; the entry goes when it reaches 0. */
  left: number;
}

/**
 * Decodes each message of AUDIT_EVENTS once per process for every durable consumer of the whole stream in
 * it. The standalone runs the writer and the projector (and the sinks) in one process: each receives every
 * message on its own, and each decoded and re-checked it, a quarter of the process's JavaScript CPU per event.
 *
 * Each consumer still receives, acks and dead-letters its own copy: only the decoding is shared. The first
 * reader decodes (a message that fails is not kept: each reader dead-letters it with the same reason);
 * a later reader of the same stored message (same stream, sequence, subject, timestamp and bytes, compared
 * in full) takes the same event, which every reader only reads. An entry goes once every reader took it;
 * redelivered and unread messages are dropped oldest first beyond `capacity`. With one reader in the
 * process (the services run apart) nothing is kept.
 */
export class SharedCanonicalDecoder {
  private readers = 0;
  private readonly entries = new Map<number, Decoded>();

  constructor(private readonly capacity = 50_000) {}

  /** A consumer of every AUDIT_EVENTS message starts reading; call the returned function when it stops. */
  join(): () => void {
    this.readers++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.readers--;
      if (this.readers < 2) this.entries.clear();
    };
  }

  /** The message's event, decoded and re-checked by `decodeCanonicalEvent` (or taken from a reader that did). */
  decode(message: JsMsg): AuditEvent {
    const envelope = envelopeOf(message);
    if (this.readers < 2) return decodeCanonicalEvent(message.data, envelope);
    // Keyed by the stream sequence alone, read in place (message.info would parse the reply subject for
    // every reader): the event is a function of the bytes, subject and stored time, all compared below, so
    // a message of another stream at the same sequence takes the entry only when it would decode the same.
    const key = streamSequenceOf(message);
    const known = this.entries.get(key);
    if (known !== undefined && known.subject === envelope.subject && known.storedAtMs === envelope.storedAtMs && sameBytes(known.data, message.data)) {
      if (--known.left <= 0) this.entries.delete(key);
      return known.event;
    }
    const event = decodeCanonicalEvent(message.data, envelope);
    this.entries.set(key, { data: message.data, subject: envelope.subject, storedAtMs: envelope.storedAtMs, event, left: this.readers - 1 });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as number);
    return event;
  }

  /** Messages decoded and not yet taken by every reader (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** The process's one decoder: consumers in one process share it. */
export const sharedCanonicalDecoder = new SharedCanonicalDecoder();
