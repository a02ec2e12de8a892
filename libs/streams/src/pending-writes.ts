/**
 * Items on their way to a store, written in the order they came, one write at a time: whatever came while
 * a write was in progress goes in the next one, all together. A stream records each delivery attempt this
 * way (its history in Postgres), off the batches' path: with one awaited write per batch, each batch held its
 * slot and its ack for a Postgres round trip, and that round trip (25 ms on a loaded machine) set the rate.
 *
 * At most `limit` items wait: past that the oldest are dropped (the store keeps only the newest `limit`
 * anyway), so a store that hangs rather than refuses costs bounded memory. `write` should not throw; if it
 * does, those items are lost and the next write goes on.
 */
export class PendingWrites<T> {
  private queued: T[] = [];
  private writing?: Promise<void>;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<void>,
    private readonly limit: number,
  ) {
    if (!(limit >= 1)) throw new RangeError(`at least one item must be allowed to wait (got ${limit})`);
  }

  /** Items waiting for a write (not counting those being written). */
  get waiting(): number {
    return this.queued.length;
  }

  add(item: T): void {
    this.queued.push(item);
    if (this.queued.length > this.limit) this.queued.splice(0, this.queued.length - this.limit);
    this.writing ??= this.drain();
  }

  /** Resolves once every item added before the call is written (or dropped). */
  flushed(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const items = this.queued;
        this.queued = [];
        try {
          // Awaited even when `write` throws at once: `writing` must be set before this loop can end.
          await Promise.resolve(items).then((batch) => this.write(batch));
        } catch {
          // The writer's to report its failures; a failed write must not stop the ones after it.
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
