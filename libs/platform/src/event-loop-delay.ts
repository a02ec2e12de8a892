import { performance } from 'node:perf_hooks';

/** How often the event-loop delay is sampled: often enough to see a 50 ms stall, rare enough to cost nothing. */
export const EVENT_LOOP_SAMPLE_MS = 20;

/** The delay a stall leaves in {@link EventLoopDelay.recentMs} halves every this many milliseconds once the loop is free again. */
const HALF_LIFE_MS = 250;

/**
 * How late the thread's event loop runs: a timer due every {@link EVENT_LOOP_SAMPLE_MS} measures how long
 * past its time it fired (every request the thread answers waits as long on top of its own work).
 *
 * `recentMs` is that delay averaged over time with a half-life of 250 ms, each sample weighted by the time
 * it covers: a loop held 200 ms out of the last 220 reads ~90 ms, and half as much a quarter of a second
 * later if it ran freely since. A single late timer of a few milliseconds hardly moves it; a loop that
 * stays busy keeps it up.
 *
 * A late loop is either busy with its own work or starved of a core by other threads and processes.
 * `recentUtilization` tells them apart: the share of the time the loop was not waiting for I/O
 * (`performance.eventLoopUtilization`), averaged the same way. Ingest refuses new work while both are
 * high (INGEST_MAX_EVENT_LOOP_DELAY): refusing helps only when its own work is what makes the loop late.
 */
export class EventLoopDelay {
  private smoothed = 0;
  private utilization = 0;
  private readonly listeners: Array<(lateMs: number) => void> = [];

  constructor(private readonly halfLifeMs = HALF_LIFE_MS) {}

  /**
   * Records that a timer fired `lateMs` past its time, `elapsedMs` after the previous sample was taken, the
   * loop busy for `utilization` (0 to 1) of that time.
   */
  record(lateMs: number, elapsedMs: number, utilization = 0): void {
    const late = Math.max(0, lateMs);
    const keep = Math.pow(0.5, Math.max(0, elapsedMs) / this.halfLifeMs);
    this.smoothed = this.smoothed * keep + late * (1 - keep);
    this.utilization = this.utilization * keep + Math.min(1, Math.max(0, utilization)) * (1 - keep);
    for (const listener of this.listeners) listener(late);
  }

  /** The recent delay of the loop, milliseconds (see the class). */
  get recentMs(): number {
    return this.smoothed;
  }

  /** The recent share of time the loop was busy rather than waiting for I/O, 0 to 1 (see the class). */
  get recentUtilization(): number {
    return this.utilization;
  }

  /** Calls `listener` with each sample's delay in milliseconds (the histogram of /metrics). */
  onSample(listener: (lateMs: number) => void): void {
    this.listeners.push(listener);
  }
}

let thisThread: EventLoopDelay | undefined;

/**
 * The event-loop delay of this thread, sampled from the first call on by one unref'd timer (it never keeps
 * the process alive). Each thread of a process has its own (a worker thread's loop is another loop).
 */
export function eventLoopDelay(): EventLoopDelay {
  if (thisThread) return thisThread;
  const delay = new EventLoopDelay();
  thisThread = delay;
  let previous = performance.now();
  let used = performance.eventLoopUtilization();
  const tick = (): void => {
    const now = performance.now();
    const since = performance.eventLoopUtilization(used);
    used = performance.eventLoopUtilization();
    delay.record(now - previous - EVENT_LOOP_SAMPLE_MS, now - previous, since.utilization);
    previous = now;
    setTimeout(tick, EVENT_LOOP_SAMPLE_MS).unref();
  };
  setTimeout(tick, EVENT_LOOP_SAMPLE_MS).unref();
  return delay;
}
