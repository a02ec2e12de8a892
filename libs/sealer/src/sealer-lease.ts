import type { PoolClient, QueryConfig } from 'pg';

/** Arbitrary constant: the Postgres session advisory lock the one active sealer holds (see {@link SealerLease}). */
export const SEALER_LOCK_KEY = 7_204_391_030;

/**
 * The timing of the sealer's lease, all from SEALER_HANDOVER (`handoverMs`): how long a replica that has just
 * taken the lock waits before it pulls.
 */
export interface LeaseTiming {
  handoverMs: number;
  /** How often the holder proves its session alive (and how often a standby tries for the lock). */
  checkEveryMs: number;
  /**
   * How long after the start of its last successful check the holder may still acknowledge: shorter than
   * `handoverMs`, so it has stopped well before a successor that took the lock the moment its session ended
   * pulls anything (the margin covers the two hosts' clocks running at slightly different rates).
   */
  holdMs: number;
}

export const leaseTiming = (handoverMs: number): LeaseTiming => ({ handoverMs, checkEveryMs: Math.round(handoverMs / 5), holdMs: Math.round((handoverMs * 3) / 5) });

/** The holder could not prove its session alive in time: it may no longer hold the lock. */
export class LeaseLostError extends Error {
  constructor(reason: string) {
    super(`the sealer's lease may be lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The sealer's lease: a Postgres session advisory lock, held on one connection of its own for as long as this
 * replica is the active sealer.
 *
 * Why one active sealer: its consumer acknowledges cumulatively (AckPolicy.All: one ack per batch instead of
 * one per event, the largest share of the sealer's and nats-server's work per event after decoding). An ack
 * under that policy settles every pending message at or below it, whoever received it, so a second client
 * pulling the same consumer could have its unsealed events settled by the first's ack and never sealed (see
 * CumulativeAcks). One active sealer overall also meets "one active sealer per organization at a time".
 *
 * Why it is safe: a session lock is held exactly as long as its session lives (Postgres frees it when the
 * session ends: a crash, a lost connection, a restart), so every successful query on that session proves the
 * lock was still held when the query ran, which is after it was sent. The holder may acknowledge only within
 * `holdMs` of sending its last successful check ({@link valid}), and checks every `checkEveryMs`; a replica
 * that takes the lock waits `handoverMs` (> `holdMs`) before it pulls. Whenever the lock changed hands,
 * the former holder's last check ran before its session ended, so its `holdMs` had run out before the new
 * holder's wait did: the two never pull and acknowledge at once. Appends stay idempotent under the log's
 * lock either way (a redelivered event is found in the log and skipped), so a lapse costs duplicates, never
 * a lost or twice-appended event.
 *
 * What it does not cover: a holder whose process hangs (stopped, not dead) keeps its session, and so the lock,
 * until it is killed (its liveness probe). A holder cut off from Postgres loses the lock only once Postgres
 * notices the connection gone (its TCP keepalive), though it stops acknowledging after `holdMs` at once.
 */
export class SealerLease {
  /** performance.now() when the latest check that succeeded (or the acquisition) was sent. */
  private checkedAt: number;
  private lostReason?: LeaseLostError;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly lostWaiters: Array<() => void> = [];
  private readonly onError = (error: Error) => this.lose(error.message);
  /** Called after each check that succeeded: acks held back while the lease was unproven may go now. */
  onRenewed?: () => void;

  /** `acquiredAt`: performance.now() when the `pg_try_advisory_lock` that succeeded was sent. */
  constructor(
    private readonly client: PoolClient,
    private readonly timing: LeaseTiming,
    acquiredAt: number,
  ) {
    this.checkedAt = acquiredAt;
    client.on('error', this.onError);
    this.schedule();
  }

  /** Tries to take the lock on `client`; the lease if it did. */
  static async acquire(client: PoolClient, timing: LeaseTiming): Promise<SealerLease | undefined> {
    const sentAt = performance.now();
    const { rows } = await client.query<{ ok: boolean }>(bounded('SELECT pg_try_advisory_lock($1) AS ok', timing.holdMs, [SEALER_LOCK_KEY]));
    return rows[0]?.ok ? new SealerLease(client, timing, sentAt) : undefined;
  }

  /** Whether this replica surely still holds the lock, with time to spare before a successor may pull. */
  valid(): boolean {
    return this.lostReason === undefined && performance.now() - this.checkedAt < this.timing.holdMs;
  }

  /** Why the lease was lost, once it was: the connection is then unfit to be pooled again. */
  get lost(): LeaseLostError | undefined {
    return this.lostReason;
  }

  /** Resolves once the lease is lost (or stopped). */
  whenLost(): Promise<void> {
    if (this.lostReason || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => this.lostWaiters.push(resolve));
  }

  /** Stops checking; the caller then unlocks (or, when lost, discards the connection). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.client.off('error', this.onError);
    for (const resolve of this.lostWaiters.splice(0)) resolve();
  }

  private schedule(): void {
    if (this.stopped || this.lostReason) return;
    this.timer = setTimeout(() => void this.check(), this.timing.checkEveryMs);
  }

  private async check(): Promise<void> {
    const sentAt = performance.now();
    try {
      // A statement on the lock's own session: it succeeds only while the session, and so the lock, lives.
      await this.client.query(bounded('SELECT 1', this.timing.holdMs));
      if (this.stopped || this.lostReason) return;
      this.checkedAt = sentAt;
      this.onRenewed?.();
    } catch (error) {
      this.lose((error as Error).message);
    }
    this.schedule();
  }

  private lose(reason: string): void {
    if (this.lostReason || this.stopped) return;
    this.lostReason = new LeaseLostError(reason);
    clearTimeout(this.timer);
    for (const resolve of this.lostWaiters.splice(0)) resolve();
  }
}

/** A statement pg gives up on after `timeoutMs` (pg honours `query_timeout` per statement; its types do not list it). */
function bounded(text: string, timeoutMs: number, values?: unknown[]): QueryConfig {
  const config: QueryConfig & { query_timeout?: number } = { text, values, query_timeout: timeoutMs };
  return config;
}
