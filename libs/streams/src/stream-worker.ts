import type { JsMsg } from '@nats-io/jetstream';
import {
  decodeCanonicalMessage,
  describe,
  envelopeOf,
  JetStreamBatchConsumer,
  STREAMS,
  type BatchOutcome,
  type DecodedCanonicalMessage,
  type Delivery,
  type FailedDelivery,
  type JetStreamConnection,
  type MessagingConfig,
} from '@audit/messaging';
import { backoffMs, type HealthRegistry } from '@audit/platform';
import { chunkBySize, DeliveryRejectedError } from '@audit/sinks';
import { purgedCreatedAt } from '@audit/retention';
import { formatEvent } from '@audit/stream-formats';
import type { BatchShape, OutgoingRecord, PreparedChunk, Sender } from './destinations';
import type { ErasedUsers } from './erased-users';
import type { FairScheduler } from './fair-scheduler';
import type { OrganizationRetention } from './organization-retention';
import { streamEvents, streamLatency } from './metrics';
import type { AuditEvent, DeliveryRecord } from '@audit/contracts';
import { replayDurable, streamDurable, streamFilterSubject, type StreamRecord } from './model';
import { matchesFilter } from './stream-filter';
import { inStreamOrder, QueuedRecord, requestBytesOf } from './queued-record';
import { PendingWrites } from './pending-writes';

type Message = DecodedCanonicalMessage;

/** This replica may no longer be the one delivering the stream (its lease was not renewed in time): hand the batch back. */
export class LeaseLostError extends Error {
  constructor() {
    super('this replica could not renew its lease on the stream lately; the batch is handed back');
    this.name = 'LeaseLostError';
  }
}

/** One delivery attempt as the history keeps it, with its time. */
export type Attempt = Omit<DeliveryRecord, 'at'> & { at: Date };

/**
 * What a worker reports to the runner: each attempt's effect on the stream's state (at once, in memory), then
 * the attempts and the latest state to write (several attempts in one write: see PendingWrites).
 */
export interface WorkerReporter {
  /** The state the attempt leaves the stream in: failing with this error, active again (null), or unchanged (undefined). */
  transition(stream: StreamRecord, attempt: Attempt, consecutiveFailures: number): string | null | undefined;
  /** Writes the attempts, oldest first, and the state if it changed since the last write. Never throws. */
  record(stream: StreamRecord, attempts: readonly Attempt[], state: string | null | undefined): Promise<void>;
}

export interface WorkerDeps {
  bus: JetStreamConnection;
  messaging: MessagingConfig;
  health: HealthRegistry;
  scheduler: FairScheduler;
  reporter: WorkerReporter;
  /** Checked before each request: throws {@link LeaseLostError} once this replica may no longer hold the stream. */
  guard: () => Promise<void>;
  /** The people erased lately: their events on the bus go out as the erasure left them in Postgres. */
  erased: ErasedUsers;
  /** The organizations' retention policies: events the purge removes are never sent from the bus's copies. */
  retention: OrganizationRetention;
  /** Attempts the history keeps per stream (STREAMS_HISTORY): no more wait for their write. */
  historyLimit: number;
}

/**
 * One stream's delivery: its own durable consumer of the organization's events (`stream-<id>`; a replay
 * runs as `replay-<replay id>` beside it), so it keeps its own position, lag and redelivery.
 *
 * Order is kept: only the replica holding the stream's lease runs this worker (see StreamsRunner), each batch
 * is sent in stream order, and a batch is sent only once the one before it was delivered (or dead-lettered).
 * Two batches run at once, so the next batch is decoded, formatted and its request body built (serialised,
 * compressed: `Sender.prepare`) while the current one is in flight,
 * and two more fill meanwhile (max_ack_pending = 4 batches; the base class holds every message it received,
 * so none waits unheld): the receiver's round trip, the formatting and the bus's deliveries overlap instead of
 * adding up. A batch is acknowledged once it is delivered; its attempt's record goes to the history
 * beside the batches, many in one write (see PendingWrites), and a stop waits for them. Once a batch is handed back (the stream stops, or the lease may be
 * lost), those behind it are handed back unsent too, so they cannot overtake it.
 * A failed send (429, 5xx, timeout, network) is retried here with backoff, holding the batch (kept alive
 * with `working()`), for as long as it takes; the stream shows as failing after a few attempts and other
 * streams go on. A permanent refusal (another 4xx) dead-letters that chunk with the receiver's answer.
 * Events outside the stream's filter (or, for a replay, stored after it was asked for) are acked unsent, and
 * so are those the organization's retention purges (created before its cutoff at the time of sending: the bus
 * keeps its copies for STREAM_MAX_AGE, retention may be shorter), counted as `expired`.
 */
export class StreamWorker extends JetStreamBatchConsumer<DecodedCanonicalMessage> {
  private stopped = false;
  private wake?: () => void;
  private consecutiveFailures = 0;
  /** Settles when the batch received last has been sent: the next one sends after it. */
  private sent: Promise<void> = Promise.resolve();
  /** The attempts on their way to the history, written in order, many at once, without holding up the batches. */
  private readonly history: PendingWrites<Attempt>;
  /** The state the latest attempts left the stream in, for the next write (undefined: unchanged). */
  private state: string | null | undefined;
  /** Batches in hand (formatting, waiting for their turn, or sending). */
  private batchesInHand = 0;
  /** Why a batch was handed back: every batch in hand behind it is handed back too, until none is left. */
  private handingBack?: 'stopped' | 'lease-lost';

  constructor(
    private readonly deps: WorkerDeps,
    readonly stream: StreamRecord,
    private readonly sender: Sender,
    shape: BatchShape,
    private readonly replay?: { id: string; from: Date; untilSeq: number },
  ) {
    super(deps.bus, deps.messaging, deps.health, {
      durable: replay ? replayDurable(replay.id) : streamDurable(stream.id),
      stream: STREAMS.events,
      filterSubject: streamFilterSubject(stream.organizationId),
      maxBatchMessages: shape.maxBatchMessages,
      maxBatchBytes: shape.maxBatchBytes,
      flushIntervalMs: shape.flushIntervalMs,
      ackWaitMs: shape.ackWaitMs,
      maxAckPending: 4 * shape.maxBatchMessages,
      inFlightBatches: 2,
      startTime: replay?.from,
      managed: true,
      // One ack per delivered batch rather than one per event: the acks were a tenth of the service's CPU and
      // as much again in nats-server. One replica at a time pulls a stream (its lease), as this requires.
      ackAll: true,
    });
    this.history = new PendingWrites((attempts) => this.writeHistory(attempts), deps.historyLimit);
  }

  get durable(): string {
    return this.options.durable;
  }

  async start(): Promise<void> {
    await this.onApplicationBootstrap();
  }

  /** Stops pulling; a batch waiting for its retry is handed back (nak'd) at once, to come back in order. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.beforeApplicationShutdown();
    await this.history.flushed();
    await this.sender.close();
  }

  /**
   * Re-checked as every consumer re-checks (see decodeCanonicalEvent); the text is kept for the json and ecs
   * records. The metadata's JSON is not kept: no format serialises it again.
   */
  protected decode(message: JsMsg): DecodedCanonicalMessage {
    return decodeCanonicalMessage(message.data, envelopeOf(message), false);
  }

  /**
   * The base class enters this in the order it received the batches (nothing is awaited before the call),
   * so taking the place in line here, before the first await, keeps the stream's order.
   */
  protected async handleBatch(batch: ReadonlyArray<Delivery<Message>>): Promise<BatchOutcome<Message>> {
    const before = this.sent;
    let done!: () => void;
    this.sent = new Promise<void>((resolve) => (done = resolve));
    this.batchesInHand++;
    try {
      return await this.deliverAfter(before, batch, done);
    } finally {
      if (--this.batchesInHand === 0) this.handingBack = undefined;
      done();
    }
  }

  /** Sends the batch once `before` settled, and calls `sent` as soon as it is sent, before its records are written. */
  private async deliverAfter(before: Promise<void>, batch: ReadonlyArray<Delivery<Message>>, sent: () => void): Promise<BatchOutcome<Message>> {
    // By stream sequence: after a handover, events the previous replica held come back as redeliveries in the
    // order their ack timers ran out, not necessarily the order they were stored.
    const ordered = inStreamOrder(batch);
    const deadLetter: Array<FailedDelivery<Message>> = [];
    const outgoing: QueuedRecord[] = [];
    const purged = purgedCreatedAt(this.deps.retention.of(this.stream.organizationId, new Date()));
    let expired = 0;
    for (const delivery of ordered) {
      if (purged(delivery.payload.event.createdAt)) {
        expired++;
        continue;
      }
      // The bus's copy of an event whose person was erased since: sent (and filtered) as the erasure left it.
      const event = this.deps.erased.apply(delivery.payload.event);
      if (!this.wanted(delivery, event)) continue;
      try {
        outgoing.push(new QueuedRecord(delivery, formatEvent(this.stream.format, event, event === delivery.payload.event ? delivery.payload.text : undefined)));
      } catch (error) {
        // A canonical event always formats; one that does not would fail the same way every time.
        deadLetter.push({ delivery, reason: `${this.durable}: cannot be formatted as ${this.stream.format}: ${describe(error)}` });
      }
    }
    if (expired > 0) streamEvents.inc({ stream: this.stream.id, organization: this.stream.organizationId, outcome: 'expired' }, expired);
    const chunks = chunkBySize(outgoing, this.sender.maxEvents, this.sender.maxBytes, requestBytesOf);
    // Bodies are built (serialised, compressed) now, while the batch before this one is still in flight.
    const bodies = chunks.map((chunk) => this.prepare(chunk));
    await before;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      const outcome = this.stopped ? 'stopped' : (this.handingBack ?? (await this.deliverChunk(chunk, bodies[i])));
      if (outcome === 'stopped' || outcome === 'lease-lost') {
        this.handingBack = outcome;
        const rest = chunks.slice(i).flat();
        const delayMs = outcome === 'stopped' ? 0 : 1_000;
        return { deadLetter, retry: rest.map((o) => ({ delivery: o.delivery, reason: `stream ${outcome} before delivery`, delayMs })) };
      }
      if (outcome !== 'delivered') deadLetter.push(...chunk.map((o) => ({ delivery: o.delivery, reason: `${this.durable}: ${outcome.refused}` })));
    }
    sent();
    return { deadLetter };
  }

  private wanted(delivery: Delivery<Message>, event: AuditEvent): boolean {
    if (this.replay && delivery.seq > this.replay.untilSeq) return false;
    return matchesFilter(this.stream.filter, event);
  }

  /** Starts building a chunk's body; a failure to build it surfaces when the chunk is sent (and is retried there). */
  private prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk> {
    const prepared = this.sender.prepare(chunk);
    // Handled here so that a body never awaited (the stream stopped first) is no unhandled rejection.
    prepared.catch(() => undefined);
    return prepared;
  }

  /** Sends one chunk until it is accepted or refused for good, or the stream stops. */
  private async deliverChunk(chunk: readonly OutgoingRecord[], body: Promise<PreparedChunk>): Promise<'delivered' | 'stopped' | 'lease-lost' | { refused: string }> {
    const labels = { stream: this.stream.id, organization: this.stream.organizationId };
    const replay = this.replay !== undefined;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return 'stopped';
      const started = performance.now();
      try {
        const prepared = await body;
        await this.deps.scheduler.run(async () => {
          await this.deps.guard();
          await this.sender.deliver(prepared);
        });
        const latencyMs = Math.round(performance.now() - started);
        streamLatency.observe({ destination: this.stream.destination.type }, latencyMs / 1000);
        streamEvents.inc({ ...labels, outcome: 'delivered' }, chunk.length);
        this.consecutiveFailures = 0;
        this.recordAttempt({ at: new Date(), events: chunk.length, status: 'delivered', latencyMs, error: null, replay });
        return 'delivered';
      } catch (error) {
        if (error instanceof LeaseLostError) return 'lease-lost';
        const latencyMs = Math.round(performance.now() - started);
        const reason = describe(error);
        if (error instanceof DeliveryRejectedError) {
          streamEvents.inc({ ...labels, outcome: 'dead_lettered' }, chunk.length);
          this.recordAttempt({ at: new Date(), events: chunk.length, status: 'dead_lettered', latencyMs, error: reason, replay });
          return { refused: reason };
        }
        this.consecutiveFailures++;
        streamEvents.inc({ ...labels, outcome: 'failed' }, chunk.length);
        this.recordAttempt({ at: new Date(), events: chunk.length, status: 'failed', latencyMs, error: reason, replay });
        this.logger.warn({ msg: 'stream delivery failed; will retry', stream: this.stream.id, attempt, reason });
        await this.pause(backoffMs(attempt, 500, 30_000));
        // A body that could not be built is built again; one that was is sent again as it is.
        body = body.then(undefined, () => this.prepare(chunk));
      }
    }
  }

  /**
   * The attempt's effect on the stream's state now, its record (and that state) written after those before it.
   * Neither the batch nor its ack waits for the write: a Postgres round trip per batch set the stream's rate
   * (on a loaded machine, 25 ms a batch while the send itself took 1.5), and a Postgres outage never stops delivery.
   */
  private recordAttempt(attempt: Attempt): void {
    const state = this.deps.reporter.transition(this.stream, attempt, this.consecutiveFailures);
    if (state !== undefined) this.state = state;
    this.history.add(attempt);
  }

  /** One write of the attempts that waited, with the state the latest of them left (taken now, so none is written twice). */
  private writeHistory(attempts: readonly Attempt[]): Promise<void> {
    const state = this.state;
    this.state = undefined;
    return this.deps.reporter.record(this.stream, attempts, state);
  }

  /** Waits before the next attempt, woken early by stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
