/**
 * A token bucket: `ratePerSecond` tokens flow in continuously, at most `burst` are held. Taking `n`
 * succeeds when `n` are there; otherwise nothing is taken and the caller learns how long until `n` will
 * be. Over any interval of `t` seconds at most `ratePerSecond × t + burst` tokens are taken.
 *
 * Pure: time is passed in (milliseconds, never decreasing), so it is tested without a clock.
 */
const EPSILON = 1e-6;

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    nowMs: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new RangeError(`a token bucket needs a rate > 0 and a burst >= 1 (got ${ratePerSecond}, ${burst})`);
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  /** Takes `n` tokens, or none: `0` when taken, else the milliseconds until `n` will be there (Infinity if `n > burst`). */
  take(n: number, nowMs: number): number {
    this.refill(nowMs);
    // The tolerance absorbs the float error of refills summed in steps, which would otherwise refuse a
    // request at the very millisecond the bucket promised it.
    if (n <= this.tokens + EPSILON) {
      this.tokens = Math.max(0, this.tokens - n);
      return 0;
    }
    if (n > this.burst) return Infinity;
    return Math.max(1, Math.ceil(((n - this.tokens) * 1000) / this.ratePerSecond - EPSILON));
  }

  /** True once the bucket is full again: it then behaves as a new one, so a map of buckets may forget it. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }

  private refill(nowMs: number): void {
    // A clock that steps back (NTP) adds nothing rather than taking tokens away.
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
  }
}
