import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import type { HealthRegistry } from '@audit/platform';
import { JetStreamBatchConsumer, type BatchConsumerOptions } from './batch-consumer';
import type { MessagingConfig } from './config';
import { decodeCanonicalEvent, envelopeOf } from './decode-event';
import type { JetStreamConnection } from './jetstream.connection';
import { STREAMS, SUBJECTS } from '@audit/bus-topology';

/** A projection of the canonical log: a durable consumer of every AUDIT_EVENTS message, decoded and re-checked as an event (see decodeCanonicalEvent). */
export abstract class CanonicalEventsConsumer extends JetStreamBatchConsumer<AuditEvent> {
  protected constructor(
    bus: JetStreamConnection,
    messaging: MessagingConfig,
    health: HealthRegistry,
    options: Omit<BatchConsumerOptions, 'stream' | 'filterSubject'>,
  ) {
    super(bus, messaging, health, { ...options, stream: STREAMS.events, filterSubject: SUBJECTS.eventsAll });
  }

  protected decode(message: JsMsg): AuditEvent {
    return decodeCanonicalEvent(message.data, envelopeOf(message));
  }
}
