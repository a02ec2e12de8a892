import type { AuditEvent } from '@audit/contracts';
import { counter, type HealthRegistry, histogram } from '@audit/platform';
import { CanonicalEventsConsumer, type Delivery, type FailureKind, type JetStreamConnection, type MessagingConfig } from '@audit/messaging';
import { pgFailureKind } from '@audit/persistence';
import { LeafError } from '@audit/transparency';
import type { SealerConfig } from './config';
import type { LogAppender } from './log-appender';
import type { ReceivedThroughBound } from './received-through-bound';

const leavesTotal = counter('audit_sealer_leaves_total', "Events the sealer handled: appended to their organization's log, or already in it", ['result']);
const appendSeconds = histogram('audit_sealer_append_duration_seconds', "Time to append one batch's events to their organizations' logs");

/** What one term of the active sealer's consumer is made with. */
export interface SealerConsumerDeps {
  bus: JetStreamConnection;
  messaging: MessagingConfig;
  health: HealthRegistry;
  config: SealerConfig;
  appender: LogAppender;
  receivedThrough: ReceivedThroughBound;
  /** Whether this replica surely still holds the sealer's lease: no ack is sent otherwise (see SealerLease). */
  mayAck: () => boolean;
}

/**
 * AUDIT_EVENTS → each organization's Merkle log (durable consumer `sealer`). Ack after commit: an event
 * is acked once its leaf is in the log, and a redelivered one is found there and skipped.
 *
 * One ack per settled run of a batch (AckPolicy.All) rather than one per event: only the replica holding the
 * sealer's lease runs this, one instance per term of it (see SealerRunner), which the cumulative acks require.
 */
export class SealerConsumer extends CanonicalEventsConsumer {
  private readonly appender: LogAppender;
  private readonly receivedThrough: ReceivedThroughBound;

  constructor(deps: SealerConsumerDeps) {
    const { config } = deps;
    super(deps.bus, deps.messaging, deps.health, {
      durable: 'sealer',
      ...config.batch,
      ackWaitMs: config.ackWaitMs,
      storeFailureKind: pgFailureKind,
      // The runner reports readiness (a standby is ready without a consumer); the pending gauge goes with the term.
      managed: true,
      ackAll: true,
      mayAck: deps.mayAck,
    });
    this.appender = deps.appender;
    this.receivedThrough = deps.receivedThrough;
  }

  async start(): Promise<void> {
    await this.onApplicationBootstrap();
  }

  /** Stops pulling and finishes the batches in hand; their acks go only while the lease is still valid. */
  async stop(): Promise<void> {
    await this.beforeApplicationShutdown();
  }

  /** The lease was proven again: acks held back meanwhile may go. */
  leaseRenewed(): void {
    this.flushAcks();
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const stop = appendSeconds.startTimer();
    const byOrganization = new Map<string, AuditEvent[]>();
    // Organizations with a message delivered before (a redelivery after a crash or a nak): their append
    // looks up which ids the log already holds; the others' skip that look-up (see LogAppender.append).
    const redelivered = new Set<string>();
    for (const { message, payload } of batch) {
      const events = byOrganization.get(payload.organizationId);
      if (events) events.push(payload);
      else byOrganization.set(payload.organizationId, [payload]);
      if (message.redelivered) redelivered.add(payload.organizationId);
      // Seen here, the checkpoints' received-through scan need not read it from the bus again.
      this.receivedThrough.noteDelivered(message.seq, payload.organizationId, payload.receivedAt);
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
