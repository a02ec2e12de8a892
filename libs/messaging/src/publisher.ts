import { Injectable } from '@nestjs/common';
import { eventJson, eventMessageId, type AuditEvent } from '@audit/contracts';
import { AppError, histogram } from '@audit/platform';
import { JetStreamConnection } from './jetstream.connection';
import { eventsSubject } from '@audit/bus-topology';

const publishSeconds = histogram('audit_publish_duration_seconds', 'Time to publish a batch of canonical events and receive every JetStream ack');

/** Publishes canonical events to AUDIT_EVENTS; the organization and event id are the Nats-Msg-Id, so a retry never duplicates. */
@Injectable()
export class EventPublisher {
  constructor(private readonly bus: JetStreamConnection) {}

  /**
   * Publishes every event and waits for all acks. Throws `BUS_UNAVAILABLE` if any publish failed:
   * the caller may retry the whole batch with the same ids.
   */
  async publishEvents(events: readonly AuditEvent[]): Promise<void> {
    const stop = publishSeconds.startTimer();
    const results = await Promise.allSettled(
      events.map((event) =>
        this.bus.publisher.publish(eventsSubject(event.organizationId, event.actionType), eventJson(event), { msgId: eventMessageId(event.organizationId, event.id) }),
      ),
    );
    stop();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      throw new AppError('BUS_UNAVAILABLE', `the event bus did not accept the events (${reason}); retrying with the same ids is safe`);
    }
  }
}
