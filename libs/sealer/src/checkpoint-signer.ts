import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { checkpointsSubject, JetStreamConnection } from '@audit/messaging';
import { TransparencyLogRepository } from '@audit/persistence';
import { counter } from '@audit/platform';
import { logOrigin, receivedThroughLine, signCheckpoint } from '@audit/transparency';
import { SEALER_CONFIG, type SealerConfig } from './config';
import { ReceivedThroughBound } from './received-through-bound';

const checkpointsTotal = counter('audit_sealer_checkpoints_total', 'Checkpoints signed and stored, and published on audit.checkpoints.<org>', ['result']);

/** Checkpoints published per pass; the rest wait for the next pass. */
const PUBLISH_BATCH = 500;

/**
 * Signs a checkpoint of each organization's log at most every SEAL_INTERVAL while new leaves exist, stores
 * it, then publishes it on `audit.checkpoints.<org>` (stream AUDIT_CHECKPOINTS) for the sinks to ship off the
 * machine. Publishing follows the stored record (an outbox): a checkpoint signed while the bus is down is
 * published on a later pass, and the message id `<org>:<size>` makes a republished one a no-op.
 *
 * Every replica runs this; the interval is checked under the organization's log lock, so between them
 * they sign at most one checkpoint per organization and interval.
 */
@Injectable()
export class CheckpointSigner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('sealer:checkpoints');
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();
  private passing = false;

  constructor(
    @Inject(SEALER_CONFIG) private readonly config: SealerConfig,
    private readonly log: TransparencyLogRepository,
    private readonly bus: JetStreamConnection,
    private readonly receivedThrough: ReceivedThroughBound,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Listed before it signs anything, so a checkpoint is never served without its verification key.
    await this.log.registerKey(this.config.key.verifierKey);
    // A checkpoint is due SEAL_INTERVAL after the previous one: looking a few times per interval keeps the
    // delay after it short without a query per event.
    const every = Math.min(1_000, Math.max(100, Math.floor(this.config.sealIntervalMs / 4)));
    this.timer = setInterval(() => {
      // One pass at a time; a tick that finds one still running (a slow database) is skipped, not queued.
      if (this.passing) return;
      this.passing = true;
      this.pass = this.runPass().finally(() => (this.passing = false));
    }, every);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  /** Signs what is due, then publishes what is not yet on the bus. Failures are logged and retried on the next pass. */
  async runPass(): Promise<void> {
    try {
      await this.signDue();
    } catch (error) {
      this.logger.warn({ msg: 'signing checkpoints failed; will retry', error: (error as Error).message });
    }
    try {
      await this.publishPending();
    } catch (error) {
      this.logger.warn({ msg: 'publishing checkpoints failed; will retry', error: (error as Error).message });
    }
  }

  private async signDue(): Promise<void> {
    const { sealIntervalMs, originPrefix, key } = this.config;
    const due = await this.log.dueForCheckpoint(sealIntervalMs);
    if (due.length === 0) return;
    // The bus is read before any tree size: a leaf acked by then is committed, so the size read after holds it.
    const floor = await this.receivedThrough.readFloor();
    for (const organizationId of due) {
      const through = floor === null ? null : this.receivedThrough.receivedThrough(floor, organizationId);
      // Without a time it can stand by, the checkpoint says nothing about unsealed events (as before the line existed).
      const extensions = through === null ? [] : [receivedThroughLine(through)];
      const signed = await this.log.signCheckpoint(organizationId, sealIntervalMs, ({ size, rootHash }) =>
        signCheckpoint({ origin: logOrigin(originPrefix, organizationId), size, rootHash, extensions }, [key.signer]),
      );
      if (signed) checkpointsTotal.inc({ result: 'signed' });
    }
  }

  private async publishPending(): Promise<void> {
    for (const checkpoint of await this.log.unpublishedCheckpoints(PUBLISH_BATCH)) {
      await this.bus.js.publish(checkpointsSubject(checkpoint.organizationId), checkpoint.note, {
        msgID: `${checkpoint.organizationId}:${checkpoint.treeSize}`,
      });
      await this.log.markPublished(checkpoint.organizationId, checkpoint.treeSize);
      checkpointsTotal.inc({ result: 'published' });
    }
  }
}
