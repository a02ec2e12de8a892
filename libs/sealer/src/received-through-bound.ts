import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { DLQ_HEADERS, dlqSubject, JetStreamConnection, STREAMS, SUBJECTS } from '@audit/messaging';
import { counter } from '@audit/platform';
import { SEALER_CONFIG, type SealerConfig } from './config';
import { oldestByOrganization, PendingReceived, type HeldMessage, type ReceivedNote } from './pending-received';

/** The sealer's durable consumer on AUDIT_EVENTS (sealer.consumer.ts): its ack floor is what the logs hold. */
const SEALER_DURABLE = 'sealer';

/**
 * At most this many AUDIT_EVENTS messages past the ack floor (all organizations together) are read for their
 * `receivedAt`, in one pass over them; a sealer further behind states no time (the line is left out) until
 * it catches up. Four of its default batches: under steady load the sealer holds about one batch in flight
 * and one waiting, so the line stays in the checkpoints, while a real backlog is not read every pass.
 */
export const PENDING_SCAN_LIMIT = 20_000;

/** At most this many of the sealer's dead letters are read for their organization; past it, no organization's time is stated. */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

const pendingMessages = counter(
  'audit_sealer_received_through_messages_total',
  "AUDIT_EVENTS messages past the sealer's ack floor when a signing pass bounded their receivedAt: read from the bus by its scan, or known already",
  ['source'],
);

/** Messages per pull request of a scan: about 1 MB of typical events per reply (nats.js takes a count or a byte cap, not both). */
const SCAN_BATCH_MESSAGES = 1_000;

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
   * organizations together) that they were not read this pass: no organization's time can be stated.
   */
  behind: boolean;
  /** The earliest `receivedAt` among each organization's messages past the floor (organizations with none are absent). */
  oldestPending: ReadonlyMap<string, number>;
  /** Organizations with a sealer dead letter in AUDIT_DLQ: an event of theirs is in no tree, so no time is stated for them. */
  deadLettered: ReadonlySet<string>;
}

/** The organization of a canonical event's subject, `audit.events.<org>.<ACTION_TYPE>`; undefined for any other subject. */
export function organizationOfSubject(subject: string): string | undefined {
  const tokens = subject.split('.');
  return tokens.length === 4 && tokens[0] === 'audit' && tokens[1] === 'events' && tokens[2] !== '' && tokens[3] !== '' ? tokens[2] : undefined;
}

/** One AUDIT_EVENTS message as the scan sees it. */
export interface PendingMessage {
  subject: string;
  data: Uint8Array;
}

/**
 * The earliest `receivedAt` of each organization's messages. A message counts for the organization of its
 * subject and, if it differs, for the one its payload names: a consumer appends an event only when both
 * agree (decodeCanonicalEvent), so this is the same as either, and never later than the one that counts.
 * A message whose `receivedAt` cannot be read is no event: every projection dead-letters it (and the
 * sealer's dead letter then withholds its organization's time).
 */
export function oldestReceivedByOrganization(messages: Iterable<PendingMessage>): Map<string, number> {
  const notes: ReceivedNote[] = [];
  for (const message of messages) {
    const note = receivedNoteOf(message);
    if (note !== undefined) notes.push(note);
  }
  return oldestByOrganization(notes);
}

/**
 * The organizations a message counts for (its subject's, and its payload's when that differs) and its
 * `receivedAt`; undefined when it names no organization or its `receivedAt` cannot be read.
 */
function receivedNoteOf({ subject, data }: PendingMessage): ReceivedNote | undefined {
  const payload = payloadOf(data);
  const receivedAtMs = payload === undefined ? undefined : timeOf(payload.receivedAt);
  if (payload === undefined || receivedAtMs === undefined) return undefined;
  const bySubject = organizationOfSubject(subject);
  const byPayload = typeof payload.organizationId === 'string' ? payload.organizationId : undefined;
  const organizationId = bySubject ?? byPayload;
  if (organizationId === undefined) return undefined;
  return { organizationId, alsoFor: byPayload !== undefined && byPayload !== organizationId ? byPayload : undefined, receivedAtMs };
}

/**
 * The organizations whose events the sealer dead-lettered, from each dead letter's `Audit-Dlq-Subject`
 * header (the event's own subject); null when one names no event subject (an older or hand-made dead
 * letter): it could be any organization's, so every organization loses its time while it is there.
 */
export function deadLetteredOrganizations(originalSubjects: Iterable<string | undefined>): Set<string> | null {
  const organizations = new Set<string>();
  for (const subject of originalSubjects) {
    const organizationId = subject === undefined ? undefined : organizationOfSubject(subject);
    if (organizationId === undefined) return null;
    organizations.add(organizationId);
  }
  return organizations;
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
 * `readAtMs` is read first, then AUDIT_INGEST, then the ack floor, then the sealer's dead letters, then the
 * messages past the ack floor, all once per pass, and each organization's tree size last, in its signing
 * transaction):
 * - Acked by `sealer` (at or below the ack floor): the consumer acks only after the leaf's transaction
 *   committed (or found the event already in the log), so the tree read afterwards holds it. The one
 *   exception is a message the sealer dead-letters (acked by `term`): see the dead letters below.
 * - In AUDIT_EVENTS past the ack floor when the scan began: read here, every one of them, in one pass for
 *   all organizations (an ephemeral consumer from the floor + 1 to the stream's last sequence read after
 *   the floor, a thousand messages a pull request, at most {@link PENDING_SCAN_LIMIT} sequences; beyond
 *   them no time is stated; a delivery the scan did not receive fails it), and T stays before the earliest
 *   `receivedAt` among the organization's, however old (an event held back on the bus path, a redelivered
 *   one, one a replica is appending right now, one acked out of order: acked or not, all are read). One
 *   stored after that last sequence was stored after `readAtMs` and after AUDIT_INGEST was read: one of
 *   the next two cases. Reading them, not only the first one's stored time,
 *   is what makes old `receivedAt`s safe: a bus event's `receivedAt` is when AUDIT_INGEST stored it, and
 *   ingest may hold it there (rate limit, ingest down) long before publishing.
 * - Not yet in AUDIT_EVENTS, published by ingest from AUDIT_INGEST (a work queue: ingest acks, and so
 *   removes, a message only after its canonical copy is stored): still in AUDIT_INGEST when it was read,
 *   so its `receivedAt` (that message's stored time) ≥ the oldest message's; or stored there after it was
 *   read, so after `readAtMs` (give or take clock skew, inside the margin). One removed before the read was
 *   already in AUDIT_EVENTS before the ack floor was read and the scan began: one of the two cases above.
 * - Not yet in AUDIT_EVENTS, published over HTTP or by the platform's own activity records: ingest stamps
 *   `receivedAt` before its look-ups and its publish (bounded by INGEST_LOOKUP_TIMEOUT and
 *   NATS_PUBLISH_TIMEOUT; a retry after a timeout is a new request with a new `receivedAt`, the first copy
 *   being deduplicated), a read record is published a batching delay after its time. Not among the scanned
 *   messages, it was stored after the scan began (stream sequences grow with time), so after `readAtMs`,
 *   and its `receivedAt` is at most SEAL_RECEIVED_MARGIN earlier (which must cover those delays and the
 *   clocks' skew).
 * - Dead-lettered by the sealer (an event no leaf can be made of, or one that failed with an unknown error
 *   CONSUMER_MAX_DELIVER times): never appended. Its dead letter is published before the message is acked,
 *   so one at or below the ack floor was in AUDIT_DLQ before the dead letters were read (after the floor);
 *   each names the event's subject (`Audit-Dlq-Subject`), and no time is stated for that organization while
 *   it is there. One that names no event subject, or more than {@link DEAD_LETTER_SCAN_LIMIT} of them,
 *   withholds every organization's time. One past the ack floor is also among the scanned messages.
 *   An undecodable message (or one whose subject and payload name different organizations) is
 *   dead-lettered by every projection, so it is no event any store holds.
 * What stays outside the argument: a message AUDIT_EVENTS discards by its limits before the sealer reads it
 * (every projection that had not read it loses it too), and a sealer dead letter once AUDIT_DLQ's
 * DLQ_MAX_AGE has removed it (an operator is expected to have replayed or accounted for it by then).
 */
@Injectable()
export class ReceivedThroughBound {
  private readonly logger = new Logger('sealer:received-through');
  /** The messages past the floor already seen (delivered to this sealer, or read by a previous scan): not read again. */
  private readonly pending = new PendingReceived(receivedNoteOf);

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
      const deadLettered = await this.readDeadLetters();
      if (deadLettered === null) return null;
      // Counted by the durable itself: a backlog is known before a scan consumer is made for it.
      let behind = consumer.num_pending + consumer.num_ack_pending > PENDING_SCAN_LIMIT;
      const oldestPending = behind ? null : await this.readPending(ackFloor);
      if (oldestPending === null) behind = true;
      return { readAtMs, oldestIngestMs, ackFloor, behind, oldestPending: oldestPending ?? new Map<string, number>(), deadLettered };
    } catch (error) {
      this.logger.warn({ msg: 'the bus cannot be read: checkpoints of this pass state no received-through time', error: (error as Error).message });
      return null;
    }
  }

  /** T for one organization (toISOString's form), or null when it cannot be stood by now. */
  receivedThrough(floor: BusFloor, organizationId: string): string | null {
    if (floor.behind || floor.deadLettered.has(organizationId)) return null;
    return receivedThroughTime({
      readAtMs: floor.readAtMs,
      marginMs: this.config.receivedMarginMs,
      oldestIngestMs: floor.oldestIngestMs,
      oldestPendingMs: floor.oldestPending.get(organizationId) ?? null,
    });
  }

  /** The organizations with a sealer dead letter in AUDIT_DLQ; null when they cannot be told apart (every time withheld). */
  private async readDeadLetters(): Promise<Set<string> | null> {
    const subject = dlqSubject(SEALER_DURABLE);
    const dlq = await this.bus.jsm.streams.info(STREAMS.dlq, { subjects_filter: subject });
    const count = dlq.state.subjects?.[subject] ?? 0;
    // The common case: no dead letter, and no consumer made to find that out.
    if (count === 0) return new Set();
    const originalSubjects: Array<string | undefined> = [];
    if (count <= DEAD_LETTER_SCAN_LIMIT) {
      await this.scan(STREAMS.dlq, subject, 1, { count }, true, (message) => {
        originalSubjects.push(message.headers?.get(DLQ_HEADERS.subject) || undefined);
      });
    }
    const organizations = count <= DEAD_LETTER_SCAN_LIMIT ? deadLetteredOrganizations(originalSubjects) : null;
    if (organizations === null) {
      this.logger.warn({ msg: `no received-through time is signed while the sealer's dead letters in ${STREAMS.dlq} cannot all be told to an organization`, deadLetters: count });
    } else {
      this.logger.warn({ msg: `no received-through time is signed for organizations with sealer dead letters in ${STREAMS.dlq}`, organizations: [...organizations] });
    }
    return organizations;
  }

  /**
   * The earliest `receivedAt` of each organization's messages past the floor, up to the stream's last
   * message when this is called; null when more than the scan limit lie between.
   */
  private async readPending(ackFloor: number): Promise<Map<string, number> | null> {
    const { state } = await this.bus.jsm.streams.info(STREAMS.events);
    this.pending.advance(ackFloor, state.last_seq);
    if (state.last_seq <= ackFloor) return new Map<string, number>();
    if (state.last_seq - ackFloor > PENDING_SCAN_LIMIT) return null;
    // Only what neither this sealer's deliveries nor an earlier scan showed: the messages stay as stored.
    const from = this.pending.coveredThrough() + 1;
    pendingMessages.inc({ source: 'known' }, Math.max(0, Math.min(from - 1, state.last_seq) - ackFloor));
    pendingMessages.inc({ source: 'scanned' }, Math.max(0, state.last_seq - from + 1));
    if (from <= state.last_seq) {
      await this.scan(STREAMS.events, SUBJECTS.eventsAll, from, { lastSeq: state.last_seq }, false, (message) => {
        const note = receivedNoteOf(message);
        if (note !== undefined) this.pending.noteScanned(message.seq, note);
      });
      this.pending.markCovered(state.last_seq);
    }
    return this.pending.oldestByOrganization();
  }

  /**
   * An event this sealer's consumer was delivered (its stream sequence, organization and `receivedAt`): a
   * later pass reads it from here, not from the bus, while it is past the ack floor.
   */
  noteDelivered(seq: number, organizationId: string, receivedAt: string): void {
    const receivedAtMs = Date.parse(receivedAt);
    if (!Number.isNaN(receivedAtMs)) this.pending.noteDelivered(seq, { organizationId, receivedAtMs });
  }

  /**
   * A message this sealer's consumer received and holds, still to be decoded: a pass before then reads its
   * `receivedAt` from it (see PendingReceived.noteHeld), not from the bus.
   */
  noteHeld(seq: number, message: HeldMessage): void {
    this.pending.noteHeld(seq, message);
  }

  /**
   * Reads the messages of `stream` on `filter` from `startSeq` through one ephemeral consumer (no acks, in
   * memory, gone after the scan or, if this process dies, after 30 s idle), {@link SCAN_BATCH_MESSAGES} a
   * pull request, until `count` are read or one at or past `lastSeq`. The end is the caller's count, not
   * the consumer's own pending count: nats-server 2.9 was seen to state more, or fewer, than it delivers.
   * Throws when a pull brings nothing while some are left, or when one was not received (no time is
   * stated then).
   */
  private async scan(stream: string, filter: string, startSeq: number, end: { count: number } | { lastSeq: number }, headersOnly: boolean, each: (message: JsMsg) => void): Promise<void> {
    const info = await this.bus.jsm.consumers.add(stream, {
      name: `sealer_scan_${randomUUID().replace(/-/g, '')}`,
      filter_subject: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
      ack_policy: AckPolicy.None,
      headers_only: headersOnly,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(30_000),
    });
    try {
      const consumer = this.bus.js.consumers.getConsumerFromInfo(info);
      // Without acks a delivered message is never sent again: one a pull ended before receiving (its expiry
      // under load) would be skipped unseen. The consumer numbers its deliveries 1, 2, 3…, so a gap shows it.
      let nextDelivery = 1;
      let read = 0;
      let lastSeen = startSeq - 1;
      const left = (): number => ('count' in end ? end.count - read : end.lastSeq - lastSeen);
      while (left() > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(left(), SCAN_BATCH_MESSAGES), expires: 10_000 });
        const before = read;
        for await (const message of batch) {
          if (message.info.deliverySequence !== nextDelivery) {
            throw new Error(`${stream}: the scan missed deliveries ${nextDelivery}..${message.info.deliverySequence - 1} (a pull ended with them under way)`);
          }
          nextDelivery++;
          read++;
          lastSeen = message.seq;
          each(message);
          if (left() <= 0) break;
        }
        if (read === before) throw new Error(`${stream}: a pull brought no message while ${left()} of the scan were left`);
      }
    } finally {
      await this.bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
    }
  }
}

/** The message's JSON object, or undefined when it is not one. */
function payloadOf(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function timeOf(value: unknown): number | undefined {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
