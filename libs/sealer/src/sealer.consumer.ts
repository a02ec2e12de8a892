import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { counter, HealthRegistry, histogram } from '@audit/platform';
import { CanonicalLogConsumer, JetStreamConnection, MESSAGING_CONFIG, type Delivery, type FailureKind, type MessagingConfig } from '@audit/messaging';
import { pgFailureKind } from '@audit/persistence';
import { LeafError } from '@audit/transparency';
import { SEALER_CONFIG, type SealerConfig } from './config';
import type { LeafMaterial } from './leaf-material';
import { LogAppender } from './log-appender';

const leavesTotal = counter('audit_sealer_leaves_total', "Events the sealer handled: appended to their organization's log, or already in it", ['result']);
const appendSeconds = histogram('audit_sealer_append_duration_seconds', "Time to append one batch's events to their organizations' logs");

/**
 * AUDIT_EVENTS → each organization's Merkle log (durable consumer `sealer`). Ack after commit: an event
 * is acked once its leaf is in the log, and a redelivered one is found there and skipped.
 *
 * Each event is sealed (salt drawn, commitment and leaf made) as soon as its message is decoded, and the
 * batch keeps only that: the decoded event is garbage at once rather than held, with everything it holds,
 * until the batch commits (most of the sealer's garbage-collection cost). A leaf made for an event the log
 * already holds is dropped unwritten, its salt with it.
 */
@Injectable()
export class SealerConsumer extends CanonicalLogConsumer<LeafMaterial> {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SEALER_CONFIG) config: SealerConfig,
    private readonly appender: LogAppender,
  ) {
    // The leaf commits to the metadata's canonical (JCS) text, never to its JSON as sent.
    super(bus, messaging, health, { durable: 'sealer', ...config.batch, storeFailureKind: pgFailureKind, metadataJson: false });
  }

  protected fromEvent(event: AuditEvent): LeafMaterial {
    return this.appender.seal(event);
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<LeafMaterial>>): Promise<void> {
    const stop = appendSeconds.startTimer();
    const byOrganization = new Map<string, LeafMaterial[]>();
    for (const { payload } of batch) {
      const leaves = byOrganization.get(payload.organizationId);
      if (leaves) leaves.push(payload);
      else byOrganization.set(payload.organizationId, [payload]);
    }
    // One organization after another, in name order: one lock held at a time, so sealers never deadlock.
    // An organization committed before a later one failed is skipped (as duplicates) when the batch comes back.
    for (const organizationId of [...byOrganization.keys()].sort()) {
      const { appended, duplicates } = await this.appender.appendSealed(organizationId, byOrganization.get(organizationId) ?? []);
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
