import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import type { EnvReader, HealthRegistry } from '@audit/platform';
import { JetStreamBatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import type { MessagingConfig } from './config';
import type { FailureKind } from './errors';
import { sharedCanonicalDecoder } from './shared-decoder';
import type { JetStreamConnection } from './jetstream.connection';
import { STREAMS, SUBJECTS } from '@audit/bus-topology';

/** The caps of one consumer's batches (see {@link BatchConsumerOptions}). */
export type BatchCaps = Pick<BatchConsumerOptions, 'maxBatchMessages' | 'maxBatchBytes' | 'flushIntervalMs'>;

/** What a {@link CanonicalEventsConsumer} is made with: its durable name and batch caps, and how its store's failures sort. */
export type CanonicalConsumerOptions = Omit<BatchConsumerOptions, 'stream' | 'filterSubject'> & {
  /** Sorts a failure the messaging errors do not know (its store driver's, e.g. Postgres's), so a lost connection is retried and a refused row dead-lettered. */
  storeFailureKind?: (error: unknown) => FailureKind;
};

/**
 * A projection's batch caps from its environment: `<SERVICE>_BATCH_SIZE` (messages, 1..20000),
 * `<SERVICE>_BATCH_BYTES` (at least 1 KiB) and `<SERVICE>_FLUSH_INTERVAL` (how long a batch may wait to fill).
 */
export function readBatchCaps(env: EnvReader, service: string, defaults: BatchCaps = { maxBatchMessages: 1000, maxBatchBytes: 8 * 1024 * 1024, flushIntervalMs: 50 }): BatchCaps {
  return {
    maxBatchMessages: env.int(`${service}_BATCH_SIZE`, defaults.maxBatchMessages, { min: 1, max: 20_000 }),
    maxBatchBytes: env.int(`${service}_BATCH_BYTES`, defaults.maxBatchBytes, { min: 1024 }),
    flushIntervalMs: env.timer(`${service}_FLUSH_INTERVAL`, `${defaults.flushIntervalMs}ms`),
  };
}

/**
 * A projection of the canonical log: a durable consumer of every AUDIT_EVENTS message, decoded and re-checked
 * as an event (see decodeCanonicalEvent), once per process for all such consumers in it (SharedCanonicalDecoder).
 * `T` is what a batch holds of each event: the event itself ({@link CanonicalEventsConsumer}), or what
 * `fromEvent` makes of it as soon as it is decoded (the projector's encoded row).
 */
export abstract class CanonicalLogConsumer<T> extends JetStreamBatchConsumer<T> {
  private leaveDecoder?: () => void;
  private readonly storeFailureKind?: (error: unknown) => FailureKind;

  protected constructor(bus: JetStreamConnection, messaging: MessagingConfig, health: HealthRegistry, options: CanonicalConsumerOptions) {
    const { storeFailureKind, ...batch } = options;
    super(bus, messaging, health, { ...batch, stream: STREAMS.events, filterSubject: SUBJECTS.eventsAll });
    this.storeFailureKind = storeFailureKind;
  }

  protected override classify(error: unknown): FailureKind {
    const kind = super.classify(error);
    return kind === 'unknown' && this.storeFailureKind !== undefined ? this.storeFailureKind(error) : kind;
  }

  override async onApplicationBootstrap(): Promise<void> {
    this.leaveDecoder = sharedCanonicalDecoder.join();
    try {
      await super.onApplicationBootstrap();
    } catch (error) {
      this.leaveDecoder();
      throw error;
    }
  }

  override async beforeApplicationShutdown(): Promise<void> {
    await super.beforeApplicationShutdown();
    this.leaveDecoder?.();
  }

  protected decode(message: JsMsg): T {
    return this.fromEvent(sharedCanonicalDecoder.decode(message));
  }

  /** What the batch keeps of a decoded event. */
  protected abstract fromEvent(event: AuditEvent): T;
}

/** A {@link CanonicalLogConsumer} whose batches hold the events themselves. */
export abstract class CanonicalEventsConsumer extends CanonicalLogConsumer<AuditEvent> {
  protected fromEvent(event: AuditEvent): AuditEvent {
    return event;
  }
}
