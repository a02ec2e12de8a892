import { Inject, Injectable, Logger } from '@nestjs/common';
import type { MsgRequest, NextMsgRequest } from '@nats-io/jetstream';
import { dlqSubject, JetStreamConnection, STREAMS } from '@audit/messaging';
import { SEALER_CONFIG, type SealerConfig } from './config';

/** The sealer's durable consumer on AUDIT_EVENTS (sealer.consumer.ts): its ack floor is what the logs hold. */
const SEALER_DURABLE = 'sealer';

/**
 * At most this many of an organization's messages past the ack floor are read for their `receivedAt`; a
 * sealer further behind states no time for that organization (the line is left out) until it catches up.
 */
export const PENDING_SCAN_LIMIT = 500;

/** What the bus showed, read once per signing pass before any tree size: see {@link ReceivedThroughBound}. */
export interface BusFloor {
  /** The sealer's clock before anything was read. */
  readAtMs: number;
  /** The stored time of AUDIT_INGEST's oldest message (its `receivedAt`), or null when the stream is empty. */
  oldestIngestMs: number | null;
  /** The `sealer` consumer's ack floor on AUDIT_EVENTS: every message at or below it is acked. */
  ackFloor: number;
  /**
   * Whether the sealer is so far behind (more messages past the floor than {@link PENDING_SCAN_LIMIT}, all
   * organizations together) that no organization's pending messages are read this pass: under a backlog
   * the scan would read up to the limit for every organization due, every pass, and state nothing anyway.
   */
  behind: boolean;
}

/** The inputs of {@link receivedThroughTime}, all in epoch milliseconds. */
export interface ReceivedBounds {
  readAtMs: number;
  marginMs: number;
  oldestIngestMs: number | null;
  /** The earliest `receivedAt` among the organization's AUDIT_EVENTS messages past the ack floor, null if none. */
  oldestPendingMs: number | null;
}

/**
 * The latest time T such that every event received at or before T is already in the log: one millisecond
 * before the earliest time an event not in it can carry (see {@link ReceivedThroughBound} for each bound).
 */
export function receivedThroughTime({ readAtMs, marginMs, oldestIngestMs, oldestPendingMs }: ReceivedBounds): string {
  let earliest = readAtMs - marginMs;
  if (oldestIngestMs !== null) earliest = Math.min(earliest, oldestIngestMs);
  if (oldestPendingMs !== null) earliest = Math.min(earliest, oldestPendingMs);
  return new Date(earliest - 1).toISOString();
}

/**
 * The `received-through` time the sealer signs into an organization's checkpoint: every event of that
 * organization with `receivedAt` ≤ T is among the leaves of the tree size signed after it is computed.
 *
 * Why each event not in the tree has `receivedAt` > T (T is one millisecond before the least of the bounds;
 * `readAtMs` is read first, then AUDIT_INGEST, then the ack floor, then the organization's pending messages,
 * and the tree size last, in the signing transaction):
 * - Acked by `sealer` (at or below the ack floor): the consumer acks only after the leaf's transaction
 *   committed (or found the event already in the log), so the tree read afterwards holds it. The one
 *   exception is a message the sealer dead-letters (acked by `term`): see the last point.
 * - In AUDIT_EVENTS past the ack floor: read here, up to {@link PENDING_SCAN_LIMIT}, and T stays before the
 *   earliest `receivedAt` among them, however old (an event held back on the bus path, a redelivered one,
 *   one a replica is appending right now). Past the limit no time is stated. Reading them, not only the
 *   first one's stored time, is what makes old `receivedAt`s safe: a bus event's `receivedAt` is when
 *   AUDIT_INGEST stored it, and ingest may hold it there (rate limit, ingest down) long before publishing.
 * - Not yet in AUDIT_EVENTS, published by ingest from AUDIT_INGEST (a work queue: ingest acks, and so
 *   removes, a message only after its canonical copy is stored): still in AUDIT_INGEST when it was read,
 *   so its `receivedAt` (that message's stored time) ≥ the oldest message's; or stored there after it was
 *   read, so after `readAtMs` (give or take clock skew, inside the margin). One removed before the read was
 *   already in AUDIT_EVENTS before the ack floor was read: one of the two cases above.
 * - Not yet in AUDIT_EVENTS, published over HTTP or by the platform's own activity records: ingest stamps
 *   `receivedAt` before its look-ups and its publish (bounded by INGEST_LOOKUP_TIMEOUT and
 *   NATS_PUBLISH_TIMEOUT; a retry after a timeout is a new request with a new `receivedAt`, the first copy
 *   being deduplicated), a read record is published a batching delay after its time. It is stored after the
 *   pending messages were read (stream sequences grow with time), so after `readAtMs`, and its `receivedAt`
 *   is at most SEAL_RECEIVED_MARGIN earlier (which must cover those delays and the clocks' skew).
 * - Dead-lettered by the sealer (an event no leaf can be made of, or one that failed with an unknown error
 *   CONSUMER_MAX_DELIVER times): never appended, so while any sealer dead letter is in AUDIT_DLQ no time is
 *   stated at all (the count is read after the ack floor: a message is dead-lettered before it is acked).
 *   An undecodable message is dead-lettered by every projection, so it is no event any store holds.
 * What stays outside the argument: a message AUDIT_EVENTS discards by its limits before the sealer reads it
 * (every projection that had not read it loses it too), and a sealer dead letter once AUDIT_DLQ's
 * DLQ_MAX_AGE has removed it (an operator is expected to have replayed or accounted for it by then).
 */
@Injectable()
export class ReceivedThroughBound {
  private readonly logger = new Logger('sealer:received-through');

  constructor(
    @Inject(SEALER_CONFIG) private readonly config: SealerConfig,
    private readonly bus: JetStreamConnection,
  ) {}

  /** The bus's side of the bound, once per pass; null (no time stated this pass) when it cannot be read. */
  async readFloor(): Promise<BusFloor | null> {
    try {
      const readAtMs = Date.now();
      const ingest = await this.bus.jsm.streams.info(STREAMS.ingest);
      const oldestIngestMs = ingest.state.messages > 0 ? Date.parse(ingest.state.first_ts) : null;
      if (Number.isNaN(oldestIngestMs)) throw new Error(`${STREAMS.ingest} states its oldest message's time as ${JSON.stringify(ingest.state.first_ts)}`);
      const consumer = await this.bus.jsm.consumers.info(STREAMS.events, SEALER_DURABLE);
      const ackFloor = consumer.ack_floor.stream_seq;
      const behind = consumer.num_pending + consumer.num_ack_pending > PENDING_SCAN_LIMIT;
      const dlq = await this.bus.jsm.streams.info(STREAMS.dlq, { subjects_filter: dlqSubject(SEALER_DURABLE) });
      const deadLetters = dlq.state.subjects?.[dlqSubject(SEALER_DURABLE)] ?? 0;
      if (deadLetters > 0) {
        this.logger.warn({ msg: `no received-through time is signed while the sealer's dead letters (${deadLetters}) are in ${STREAMS.dlq}`, deadLetters });
        return null;
      }
      return { readAtMs, oldestIngestMs, ackFloor, behind };
    } catch (error) {
      this.logger.warn({ msg: 'the bus cannot be read: checkpoints of this pass state no received-through time', error: (error as Error).message });
      return null;
    }
  }

  /** T for one organization (toISOString's form), or null when it cannot be stood by now. */
  async receivedThrough(floor: BusFloor, organizationId: string): Promise<string | null> {
    if (floor.behind) return null;
    try {
      const oldestPendingMs = await this.oldestPendingReceivedAt(floor.ackFloor, organizationId);
      if (oldestPendingMs === undefined) return null;
      return receivedThroughTime({ readAtMs: floor.readAtMs, marginMs: this.config.receivedMarginMs, oldestIngestMs: floor.oldestIngestMs, oldestPendingMs });
    } catch (error) {
      this.logger.warn({ msg: 'pending events cannot be read: no received-through time', organizationId, error: (error as Error).message });
      return null;
    }
  }

  /** The earliest `receivedAt` of the organization's messages past the floor; null if none, undefined past the scan limit. */
  private async oldestPendingReceivedAt(ackFloor: number, organizationId: string): Promise<number | null | undefined> {
    const subject = `audit.events.${organizationId}.>`;
    let oldest: number | null = null;
    let seq = ackFloor + 1;
    for (let read = 0; read < PENDING_SCAN_LIMIT; read++) {
      // nats-server answers `next_by_subj` on STREAM.MSG.GET (2.9+); nats.js types it only for direct gets.
      const next: NextMsgRequest = { seq, next_by_subj: subject };
      const message = await this.bus.jsm.streams.getMessage(STREAMS.events, next as unknown as MsgRequest);
      if (message === null) return oldest;
      const receivedAt = receivedAtOf(message.data);
      // A message whose receivedAt cannot be read is no event: every projection dead-letters it (and the
      // sealer's dead letter then withholds the time).
      if (receivedAt !== undefined && (oldest === null || receivedAt < oldest)) oldest = receivedAt;
      seq = message.seq + 1;
    }
    return undefined;
  }
}

function receivedAtOf(data: Uint8Array): number | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const receivedAt = (value as Record<string, unknown>).receivedAt;
    const ms = typeof receivedAt === 'string' ? Date.parse(receivedAt) : NaN;
    return Number.isNaN(ms) ? undefined : ms;
  } catch {
    return undefined;
  }
}
