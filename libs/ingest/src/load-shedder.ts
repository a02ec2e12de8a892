import { sleep, type EventLoopDelay } from '@audit/platform';
import type { IngestConfig } from './config';

/**
 * The recent event-loop utilization at and above which a late loop counts as busy with its own work (ingest
 * refusing batches then frees it), below which as starved of a core by others (refusing would not help).
 */
export const BUSY_UTILIZATION = 0.9;

/**
 * Back-pressure on HTTP ingest from the thread's own event loop: while the loop runs later than
 * INGEST_MAX_EVENT_LOOP_DELAY (its recent delay, {@link EventLoopDelay.recentMs}) and is busy almost all
 * the time ({@link BUSY_UTILIZATION}), a new batch is refused with 503 and Retry-After before anything is
 * spent on it. In the standalone the thread that accepts events
 * also answers administrators' reads and /healthz: accepting more than the process keeps up with would
 * queue every one of them behind ingest. Refused, the emitter sends again a second later (the client library
 * does, honouring Retry-After) and its events wait on its side; what was accepted still flows through the
 * bus at the pace of the consumers. The AUDIT_INGEST consumer, which runs on the same thread, waits
 * ({@link admitWithin}) and hands its batch back to the stream instead.
 */
export class IngestLoadShedder {
  constructor(
    private readonly config: Pick<IngestConfig, 'maxEventLoopDelayMs'>,
    private readonly delay: Pick<EventLoopDelay, 'recentMs' | 'recentUtilization'>,
  ) {}

  /** The recent event-loop delay in milliseconds when it is over the bound (refuse), else undefined (admit). */
  overloadedBy(): number | undefined {
    if (this.config.maxEventLoopDelayMs <= 0) return undefined;
    const recent = this.delay.recentMs;
    return recent > this.config.maxEventLoopDelayMs && this.delay.recentUtilization >= BUSY_UTILIZATION ? recent : undefined;
  }

  /**
   * Waits, checking every `pollMs`, until {@link overloadedBy} admits, for at most `maxWaitMs`: true once
   * admitted, false when the loop is still overloaded after that. For work that has no client to answer 503
   * to (the AUDIT_INGEST consumer): it waits for the loop instead, and its stream keeps what it did not take.
   */
  async admitWithin(maxWaitMs: number, pollMs = 50): Promise<boolean> {
    const deadline = performance.now() + maxWaitMs;
    for (;;) {
      if (this.overloadedBy() === undefined) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await sleep(Math.min(pollMs, left));
    }
  }
}
