import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import type { HealthRegistry } from '@audit/platform';
import { JetStreamBatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import type { MessagingConfig } from './config';
import { sharedCanonicalDecoder } from './shared-decoder';
import type { JetStreamConnection } from './jetstream.connection';
import { STREAMS, SUBJECTS } from '@audit/bus-topology';

/**
 * A projection of the canonical log: a durable consumer of every AUDIT_EVENTS message, decoded and re-checked
 * as an event (see decodeCanonicalEvent), once per process for all such consumers in it (SharedCanonicalDecoder).
 * `T` is what a batch holds of each event: the event itself ({@link CanonicalEventsConsumer}), or what
 * `fromEvent` makes of it as soon as it is decoded (the projector's encoded row).
 */
export abstract class CanonicalLogConsumer<T> extends JetStreamBatchConsumer<T> {
  private leaveDecoder?: () => void;

  protected constructor(
    bus: JetStreamConnection,
    messaging: MessagingConfig,
    health: HealthRegistry,
    options: Omit<BatchConsumerOptions, 'stream' | 'filterSubject'>,
  ) {
    super(bus, messaging, health, { ...options, stream: STREAMS.events, filterSubject: SUBJECTS.eventsAll });
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
