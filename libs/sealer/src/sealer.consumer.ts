import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import { counter, HealthRegistry, histogram } from '@audit/platform';
import {
  CanonicalEventsConsumer,
  deliveryCountOf,
  JetStreamConnection,
  MESSAGING_CONFIG,
  streamSequenceOf,
  type Delivery,
  type FailureKind,
  type MessagingConfig,
} from '@audit/messaging';
import { pgFailureKind } from '@audit/persistence';
import { LeafError } from '@audit/transparency';
import { SEALER_CONFIG, type SealerConfig } from './config';
import { LogAppender } from './log-appender';
import { ReceivedThroughBound } from './received-through-bound';

const leavesTotal = counter('audit_sealer_leaves_total', "Events the sealer handled: appended to their organization's log, or already in it", ['result']);
const appendSeconds = histogram('audit_sealer_append_duration_seconds', "Time to append one batch's events to their organizations' logs");

/**
 * AUDIT_EVENTS → each organization's Merkle log (durable consumer `sealer`). Ack after commit: an event
 * is acked once its leaf is in the log, and a redelivered one is found there and skipped.
 */
@Injectable()
export class SealerConsumer extends CanonicalEventsConsumer {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SEALER_CONFIG) config: SealerConfig,
    private readonly appender: LogAppender,
    private readonly receivedThrough: ReceivedThroughBound,
  ) {
    super(bus, messaging, health, { durable: 'sealer', ...config.batch, ackWaitMs: config.ackWaitMs, storeFailureKind: pgFailureKind });
  }

  protected override received(message: JsMsg): void {
    // Held until its batch is cut (up to the flush interval): a checkpoint pass meanwhile reads it in hand.
    this.receivedThrough.noteHeld(streamSequenceOf(message), message);
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const stop = appendSeconds.startTimer();
    const byOrganization = new Map<string, AuditEvent[]>();
    // Organizations with a message delivered before (a redelivery after a crash or a nak): their append
    // looks up which ids the log already holds; the others' skip that look-up (see LogAppender.append).
    const redelivered = new Set<string>();
    for (const { message, seq, payload } of batch) {
      const events = byOrganization.get(payload.organizationId);
      if (events) events.push(payload);
      else byOrganization.set(payload.organizationId, [payload]);
      // Read from the reply subject in place: `message.redelivered` and `message.seq` parse it into an object
      // kept with the message (about 1 KB allocated per message, see delivery-info).
      if (deliveryCountOf(message) > 1) redelivered.add(payload.organizationId);
      // Seen here, the checkpoints' received-through scan need not read it from the bus again.
      this.receivedThrough.noteDelivered(seq, payload.organizationId, payload.receivedAt);
    }
    // One organization after another, in name order: one lock held at a time, so sealers never deadlock.
    // An organization committed before a later one failed is skipped (as duplicates) when the batch comes back.
    for (const organizationId of [...byOrganization.keys()].sort()) {
      const { appended, duplicates } = await this.appender.append(organizationId, byOrganization.get(organizationId) ?? [], {
        firstDelivery: !redelivered.has(organizationId),
      });
      leavesTotal.inc({ result: 'appended' }, appended);
      leavesTotal.inc({ result: 'duplicate' }, duplicates);
    }
    stop();
  }

  protected override classify(error: unknown): FailureKind {
    // An event no leaf can be made of can never be sealed.
    return error instanceof LeafError ? 'permanent' : super.classify(error);
  }
}
