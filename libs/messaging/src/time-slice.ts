import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long a consumer's synchronous work may hold the event loop before it lets other work in. */
export const TIME_SLICE_MS = 4;

/**
 * Splits a long synchronous loop over a batch (decoding 10,000 messages, acking them, keeping them alive)
 * into slices of about `sliceMs`, with a turn of the event loop between them. In the standalone the
 * projector runs on the thread that answers HTTP: one batch decoded in one go held /healthz and every read
 * for a quarter of a second. A slice costs one clock read per `checkEvery` items and one setImmediate.
 *
 * Use: `if (slice.spent()) await slice.yield();` once per item.
 */
export class TimeSlice {
  private started = performance.now();
  private count = 0;

  constructor(
    private readonly sliceMs = TIME_SLICE_MS,
    private readonly checkEvery = 32,
  ) {}

  /** Whether this slice has used its time (the clock is read once every `checkEvery` calls). */
  spent(): boolean {
    if (++this.count < this.checkEvery) return false;
    this.count = 0;
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Lets the event loop run (I/O, timers, requests) and starts a new slice. */
  async yield(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
    this.count = 0;
  }
}
