/**
 * Remembers, per process, which views were recorded in the current coalescing window, so the later
 * requests of a view wait for nothing: the first request of a view in a window records it (and waits for
 * the bus's ack), every other request of that view in that window shares that record's outcome. A record
 * that failed is forgotten, so the next request tries again (and until then, none is served: fail closed).
 *
 * Windows are aligned on the clock (floor(now / window)), not opened by the first request, so that
 * replicas agree on them without talking: see readViewId.
 */
export class ReadCoalescer {
  private current = -1;
  private readonly recorded = new Map<string, Promise<void>>();

  constructor(readonly windowMs: number) {
    if (!(windowMs >= 1)) throw new RangeError(`the coalescing window must be at least 1 ms (got ${windowMs})`);
  }

  /** The index of the window `now` falls in, and when that window started. */
  windowOf(now: number): { index: number; start: number } {
    const index = Math.floor(now / this.windowMs);
    return { index, start: index * this.windowMs };
  }

  /**
   * Settles when the view `key` is recorded for the window of `now`: `record` runs only for the first
   * request of the view in that window (or after a failed record); the rest share its promise.
   */
  cover(key: string, now: number, record: (windowStart: number) => Promise<void>): Promise<void> {
    const { index, start } = this.windowOf(now);
    // A clock stepped back: record, but remember nothing of a window already left.
    if (index < this.current) return record(start);
    // A new window: every view must be recorded again, and dropping the old entries is what bounds the memory.
    if (index > this.current) {
      this.current = index;
      this.recorded.clear();
    }
    const known = this.recorded.get(key);
    if (known) return known;
    const outcome = record(start);
    this.recorded.set(key, outcome);
    outcome.catch(() => {
      if (this.recorded.get(key) === outcome) this.recorded.delete(key);
    });
    return outcome;
  }

  /** Views recorded (or being recorded) in the current window: what this process holds in memory. */
  get size(): number {
    return this.recorded.size;
  }
}
