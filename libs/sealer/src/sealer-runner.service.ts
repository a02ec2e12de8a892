import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { describe, JetStreamConnection, MESSAGING_CONFIG, type MessagingConfig } from '@audit/messaging';
import { Database, type Discard } from '@audit/persistence';
import { gauge, HealthRegistry } from '@audit/platform';
import { SEALER_CONFIG, type SealerConfig } from './config';
import { LogAppender } from './log-appender';
import { ReceivedThroughBound } from './received-through-bound';
import { leaseTiming, SEALER_LOCK_KEY, SealerLease, type LeaseTiming } from './sealer-lease';
import { SealerConsumer } from './sealer.consumer';

const activeGauge = gauge('audit_sealer_active', "1 while this replica is the active sealer (holds the sealer's lease and pulls AUDIT_EVENTS), 0 while it stands by");

/** Where this replica stands: trying for the lease, waiting out a former holder (`taking-over`), sealing, or stopped. */
type Role = 'starting' | 'standby' | 'taking-over' | 'active' | 'stopped';

/**
 * Runs the sealer on the one replica holding its lease (see {@link SealerLease} for why one, and why it is
 * safe); every other replica stands by, trying for the lock every `checkEveryMs`, and takes over when the
 * holder stops (at once), crashes or loses its connection (as soon as Postgres ends its session): it waits
 * SEALER_HANDOVER, then pulls. The events the former holder had received and not acknowledged come back to it
 * after SEALER_ACK_WAIT and are skipped if already in the log. Each term runs a new {@link SealerConsumer}.
 *
 * Readiness (`consumer:sealer`): the active replica while its lease is proven, a standby while it reaches Postgres.
 */
@Injectable()
export class SealerRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('sealer:lease');
  private readonly timing: LeaseTiming;
  private role: Role = 'starting';
  private lease?: SealerLease;
  /** Date.now() of the latest answer from Postgres to a try for the lock (a standby's sign of life). */
  private answeredAt = 0;
  private loop?: Promise<void>;
  private stopping = false;
  private wake: () => void = () => undefined;
  private readonly shutdown: Promise<void>;

  constructor(
    private readonly db: Database,
    private readonly bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) private readonly messaging: MessagingConfig,
    private readonly health: HealthRegistry,
    @Inject(SEALER_CONFIG) private readonly config: SealerConfig,
    private readonly appender: LogAppender,
    private readonly receivedThrough: ReceivedThroughBound,
  ) {
    this.timing = leaseTiming(config.handoverMs);
    this.shutdown = new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Whether this replica is the active sealer now. */
  get active(): boolean {
    return this.role === 'active';
  }

  onApplicationBootstrap(): void {
    activeGauge.set(0);
    this.health.register('consumer:sealer', () => this.readiness());
    this.loop = this.run();
  }

  /** Stops pulling, finishes and acknowledges the batches in hand, then frees the lock for a standby to take at once. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.role = 'stopped';
  }

  private readiness(): string | undefined {
    switch (this.role) {
      case 'active':
        return this.lease?.valid() ? undefined : 'the sealer could not prove its lease in Postgres lately';
      case 'standby':
        return Date.now() - this.answeredAt <= Math.max(3 * this.timing.checkEveryMs, 5_000) ? undefined : 'the standby sealer has not reached Postgres lately';
      case 'taking-over':
        return 'taking over the sealer: waiting for a former holder to have stopped';
      default:
        return `the sealer is ${this.role}`;
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.db.withClient((client, discard) => this.term(client, discard));
      } catch (error) {
        this.logger.warn({ msg: 'could not try for the sealer lease; trying again', error: describe(error) });
      }
      await this.pause(this.timing.checkEveryMs);
    }
  }

  /** One try for the lock on `client`; if taken, one term as the active sealer, until shutdown or the lease is lost. */
  private async term(client: PoolClient, discard: Discard): Promise<void> {
    const lease = await SealerLease.acquire(client, this.timing);
    this.answeredAt = Date.now();
    if (!lease) {
      if (this.role !== 'standby') this.logger.log({ msg: 'another replica is the active sealer; standing by' });
      this.role = 'standby';
      return;
    }
    this.lease = lease;
    try {
      await this.serve(lease);
    } finally {
      lease.stop();
      this.lease = undefined;
      // A lost lease's session may be dead or stuck behind a timed-out statement: never pooled again.
      if (lease.lost) discard(lease.lost);
      else await client.query('SELECT pg_advisory_unlock($1)', [SEALER_LOCK_KEY]).catch((error: unknown) => discard(error as Error));
    }
  }

  private async serve(lease: SealerLease): Promise<void> {
    this.role = 'taking-over';
    this.logger.log({ msg: 'took the sealer lease; waiting SEALER_HANDOVER before pulling', handoverMs: this.timing.handoverMs });
    await this.pause(this.timing.handoverMs, lease.whenLost());
    if (lease.lost || this.stopping) return this.endTerm(lease);
    const consumer = new SealerConsumer({
      bus: this.bus,
      messaging: this.messaging,
      health: this.health,
      config: this.config,
      appender: this.appender,
      receivedThrough: this.receivedThrough,
      mayAck: () => lease.valid(),
    });
    try {
      await consumer.start();
    } catch (error) {
      this.logger.error({ msg: 'the sealer consumer could not start; trying again', error: describe(error) });
      return this.endTerm(lease);
    }
    lease.onRenewed = () => consumer.leaseRenewed();
    this.role = 'active';
    activeGauge.set(1);
    this.logger.log({ msg: 'active sealer' });
    await Promise.race([lease.whenLost(), this.shutdown]);
    activeGauge.set(0);
    // Lost: stop pulling now; what is in hand is still appended (idempotent) but acknowledged only while valid.
    await consumer.stop();
    this.endTerm(lease);
  }

  private endTerm(lease: SealerLease): void {
    if (lease.lost) this.logger.warn({ msg: 'sealer lease lost; stopped pulling', error: lease.lost.message });
    this.role = this.stopping ? 'stopped' : 'starting';
  }

  /** Waits `ms`, or less if the process shuts down or `until` settles first. */
  private async pause(ms: number, until?: Promise<void>): Promise<void> {
    if (this.stopping) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.shutdown, ...(until ? [until] : []), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}
