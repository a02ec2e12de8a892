import type { AuditEvent } from '@audit/contracts';
import {
  CanonicalEventsConsumer,
  describe,
  type BatchOutcome,
  type Delivery,
  type FailedDelivery,
  type JetStreamConnection,
  type MessagingConfig,
} from '@audit/messaging';
import { counter, gauge, type HealthRegistry } from '@audit/platform';
import { DeliveryRejectedError } from './http-delivery';

const sinkEvents = counter('audit_sink_events_total', 'Events handled by each sink, by outcome (delivered, failed = dead-lettered, retried)', ['sink', 'outcome']);
const sinkPending = gauge('audit_sink_pending', 'Events each sink has not delivered yet (waiting in the stream plus in flight)', ['sink']);

export interface SinkOptions {
  /** The durable consumer name, e.g. `sink-datadog`. */
  durable: string;
  enabled: boolean;
  /** Messages per consumer batch, and the consumer's byte cap. */
  maxBatchMessages: number;
  maxBatchBytes: number;
  flushIntervalMs: number;
  inFlightBatches?: number;
}

/**
 * A sink: its own durable consumer of AUDIT_EVENTS, so each sink keeps its own position, a restart resumes
 * where it stopped and an outage of one receiver holds back nothing else. A subclass splits a batch into
 * deliveries (`chunks`) and sends each (`deliver`). Per chunk: success → its messages are acked;
 * any failure but a rejection → that chunk and the rest of the batch are nak'd with backoff and come back
 * (nothing lost, the position is held); a rejection → that chunk is dead-lettered with the receiver's reason
 * and the rest go on. The base class settles every message, from what `handleBatch` returns.
 * A disabled sink creates no consumer at all.
 */
export abstract class SinkConsumer extends CanonicalEventsConsumer {
  private sinkPendingTimer?: NodeJS.Timeout;

  protected constructor(
    bus: JetStreamConnection,
    messaging: MessagingConfig,
    health: HealthRegistry,
    private readonly sink: SinkOptions,
  ) {
    super(bus, messaging, health, {
      durable: sink.durable,
      maxBatchMessages: sink.maxBatchMessages,
      maxBatchBytes: sink.maxBatchBytes,
      flushIntervalMs: sink.flushIntervalMs,
      inFlightBatches: sink.inFlightBatches,
    });
  }

  get enabled(): boolean {
    return this.sink.enabled;
  }

  /** Splits a batch into the deliveries the receiver accepts (its entry and size limits). */
  protected abstract chunks(events: ReadonlyArray<Delivery<AuditEvent>>): Array<ReadonlyArray<Delivery<AuditEvent>>>;

  /** Sends one chunk; resolves once the receiver accepted it. */
  protected abstract deliver(chunk: ReadonlyArray<Delivery<AuditEvent>>): Promise<void>;

  override async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await super.onApplicationBootstrap();
    this.sinkPendingTimer = setInterval(() => void this.refreshSinkPending(), 5_000);
    this.sinkPendingTimer.unref();
  }

  override async beforeApplicationShutdown(): Promise<void> {
    if (!this.enabled) return;
    clearInterval(this.sinkPendingTimer);
    await super.beforeApplicationShutdown();
  }

  private async refreshSinkPending(): Promise<void> {
    try {
      sinkPending.set({ sink: this.sink.durable }, await this.pending());
    } catch {
      // The bus being down shows in readiness; the gauge keeps its last value.
    }
  }

  /**
   * Sends the batch chunk by chunk, in order, and says what became of each delivery: a delivered chunk is
   * acked, a refused one dead-lettered with the receiver's answer, and at the first other failure that chunk
   * and every later one are retried (the base class naks them with backoff; a receiver's trouble never
   * dead-letters an event).
   */
  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<BatchOutcome<AuditEvent>> {
    const deadLetter: Array<FailedDelivery<AuditEvent>> = [];
    const chunks = this.chunks(batch);
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      try {
        await this.deliver(chunk);
      } catch (error) {
        const reason = `${this.sink.durable}: ${describe(error)}`;
        if (error instanceof DeliveryRejectedError) {
          deadLetter.push(...chunk.map((delivery) => ({ delivery, reason })));
          sinkEvents.inc({ sink: this.sink.durable, outcome: 'failed' }, chunk.length);
          continue;
        }
        const retry = chunks.slice(i).flatMap((undelivered) => undelivered.map((delivery) => ({ delivery, reason })));
        sinkEvents.inc({ sink: this.sink.durable, outcome: 'retried' }, retry.length);
        return { deadLetter, retry };
      }
      sinkEvents.inc({ sink: this.sink.durable, outcome: 'delivered' }, chunk.length);
    }
    return { deadLetter };
  }
}
