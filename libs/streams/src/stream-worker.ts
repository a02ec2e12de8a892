import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import {
  decodeCanonicalEvent,
  describe,
  envelopeOf,
  JetStreamBatchConsumer,
  STREAMS,
  type BatchOutcome,
  type Delivery,
  type FailedDelivery,
  type JetStreamConnection,
  type MessagingConfig,
} from '@audit/messaging';
import { backoffMs, type HealthRegistry } from '@audit/platform';
import { chunkBySize, DeliveryRejectedError } from '@audit/sinks';
import { formatEvent } from '@audit/stream-formats';
import type { BatchShape, OutgoingRecord, Sender } from './destinations';
import type { FairScheduler } from './fair-scheduler';
import { streamEvents, streamLatency } from './metrics';
import { replayDurable, streamDurable, streamFilterSubject, type DeliveryRecord, type StreamRecord } from './model';
import { matchesFilter } from './stream-filter';

/** This replica may no longer be the one delivering the stream (its lease was not renewed in time): hand the batch back. */
export class LeaseLostError extends Error {
  constructor() {
    super('this replica could not renew its lease on the stream lately; the batch is handed back');
    this.name = 'LeaseLostError';
  }
}

/** What a worker reports to the runner: each attempt (for the history and the state). */
export interface WorkerReporter {
  delivered(stream: StreamRecord, attempt: Omit<DeliveryRecord, 'at'>): Promise<void>;
  failed(stream: StreamRecord, attempt: Omit<DeliveryRecord, 'at'>, consecutiveFailures: number): Promise<void>;
}

export interface WorkerDeps {
  bus: JetStreamConnection;
  messaging: MessagingConfig;
  health: HealthRegistry;
  scheduler: FairScheduler;
  reporter: WorkerReporter;
  /** Checked before each request: refuses a destination that now resolves to an internal address. */
  guard: () => Promise<void>;
}

/**
 * One stream's delivery: its own durable consumer of the organization's events (`stream-<id>`; a replay
 * runs as `replay-<replay id>` beside it), so it keeps its own position, lag and redelivery.
 *
 * Order is kept: only the replica holding the stream's lease runs this worker (see StreamsRunner), its
 * batches never overlap, each is sent in stream order, and the consumer lets at most one full batch out
 * unacknowledged (max_ack_pending = the batch size).
 * A failed send (429, 5xx, timeout, network) is retried here with backoff, holding the batch (kept alive
 * with `working()`), for as long as it takes; the stream shows as failing after a few attempts and other
 * streams go on. A permanent refusal (another 4xx) dead-letters that chunk with the receiver's answer.
 * Events outside the stream's filter (or, for a replay, stored after it was asked for) are acked unsent.
 */
export class StreamWorker extends JetStreamBatchConsumer<AuditEvent> {
  private stopped = false;
  private wake?: () => void;
  private consecutiveFailures = 0;

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
      maxAckPending: shape.maxBatchMessages,
      inFlightBatches: 1,
      startTime: replay?.from,
      managed: true,
    });
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
    await this.sender.close();
  }

  protected decode(message: JsMsg): AuditEvent {
    return decodeCanonicalEvent(message.data, envelopeOf(message));
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<BatchOutcome<AuditEvent>> {
    if (this.stopped) return { retry: batch.map((delivery) => ({ delivery, reason: 'stream stopped', delayMs: 0 })) };
    // By stream sequence: after a handover, events the previous replica held come back as redeliveries in the
    // order their ack timers ran out, not necessarily the order they were stored.
    const ordered = [...batch].sort((a, b) => a.message.seq - b.message.seq);
    const outgoing = ordered.filter((d) => this.wanted(d)).map((d) => ({ delivery: d, record: this.record(d) }));
    const chunks = chunkBySize(outgoing, this.sender.maxEvents, this.sender.maxBytes, (o) => Buffer.byteLength(o.record.record) + 16);
    const deadLetter: Array<FailedDelivery<AuditEvent>> = [];
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      const outcome = await this.deliverChunk(chunk.map((o) => o.record));
      if (outcome === 'stopped' || outcome === 'lease-lost') {
        const rest = chunks.slice(i).flat();
        const delayMs = outcome === 'stopped' ? 0 : 1_000;
        return { deadLetter, retry: rest.map((o) => ({ delivery: o.delivery, reason: `stream ${outcome} before delivery`, delayMs })) };
      }
      if (outcome !== 'delivered') deadLetter.push(...chunk.map((o) => ({ delivery: o.delivery, reason: `${this.durable}: ${outcome.refused}` })));
    }
    return { deadLetter };
  }

  private wanted(delivery: Delivery<AuditEvent>): boolean {
    if (this.replay && delivery.message.seq > this.replay.untilSeq) return false;
    return matchesFilter(this.stream.filter, delivery.payload);
  }

  private record(delivery: Delivery<AuditEvent>): OutgoingRecord {
    return {
      event: delivery.payload,
      record: formatEvent(this.stream.format, delivery.payload),
      seq: delivery.message.seq,
      storedAt: delivery.message.time,
    };
  }

  /** Sends one chunk until it is accepted or refused for good, or the stream stops. */
  private async deliverChunk(chunk: readonly OutgoingRecord[]): Promise<'delivered' | 'stopped' | 'lease-lost' | { refused: string }> {
    const labels = { stream: this.stream.id, organization: this.stream.organizationId };
    const replay = this.replay !== undefined;
    for (let attempt = 1; ; attempt++) {
      if (this.stopped) return 'stopped';
      const started = performance.now();
      try {
        await this.deps.scheduler.run(async () => {
          await this.deps.guard();
          await this.sender.send(chunk);
        });
        const latencyMs = Math.round(performance.now() - started);
        streamLatency.observe({ destination: this.stream.destination.type }, latencyMs / 1000);
        streamEvents.inc({ ...labels, outcome: 'delivered' }, chunk.length);
        this.consecutiveFailures = 0;
        await this.deps.reporter.delivered(this.stream, { events: chunk.length, status: 'delivered', latencyMs, error: null, replay });
        return 'delivered';
      } catch (error) {
        if (error instanceof LeaseLostError) return 'lease-lost';
        const latencyMs = Math.round(performance.now() - started);
        const reason = describe(error);
        if (error instanceof DeliveryRejectedError) {
          streamEvents.inc({ ...labels, outcome: 'dead_lettered' }, chunk.length);
          await this.deps.reporter.delivered(this.stream, { events: chunk.length, status: 'dead_lettered', latencyMs, error: reason, replay });
          return { refused: reason };
        }
        this.consecutiveFailures++;
        streamEvents.inc({ ...labels, outcome: 'failed' }, chunk.length);
        await this.deps.reporter.failed(this.stream, { events: chunk.length, status: 'failed', latencyMs, error: reason, replay }, this.consecutiveFailures);
        this.logger.warn({ msg: 'stream delivery failed; will retry', stream: this.stream.id, attempt, reason });
        await this.pause(backoffMs(attempt, 500, 30_000));
      }
    }
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
