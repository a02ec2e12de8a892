import fc from 'fast-check';
import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('never admits more than rate × t + burst over any run of requests', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 2_000 }), n: fc.integer({ min: 1, max: 2_000 }) }), { maxLength: 200 }),
        (rate, burst, requests) => {
          const bucket = new TokenBucket(rate, burst, 0);
          let now = 0;
          let admitted = 0;
          for (const { gapMs, n } of requests) {
            now += gapMs;
            if (bucket.take(n, now) === 0) admitted += n;
            // Rounding of the float refill may give a token's fraction more, never a whole one.
            expect(admitted).toBeLessThanOrEqual(rate * (now / 1000) + burst + 1e-6);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('admits a request once the wait it named has passed, and not before', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        (rate, burst, first, second) => {
          const bucket = new TokenBucket(rate, burst, 0);
          bucket.take(Math.min(first, burst), 0);
          const wait = bucket.take(second, 0);
          if (second > burst) {
            expect(wait).toBe(Infinity);
            return;
          }
          if (wait === 0) return;
          expect(bucket.take(second, wait - 1 > 0 ? wait - 1 : 0)).toBeGreaterThan(0);
          expect(bucket.take(second, wait)).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('takes nothing from a refused request', () => {
    const bucket = new TokenBucket(10, 100, 0);
    expect(bucket.take(80, 0)).toBe(0);
    expect(bucket.take(50, 0)).toBe(3_000);
    expect(bucket.take(20, 0)).toBe(0);
    expect(bucket.take(1, 0)).toBe(100);
  });

  it('refills at its rate up to its burst, and a clock stepping back adds nothing', () => {
    const bucket = new TokenBucket(100, 200, 1_000);
    expect(bucket.take(200, 1_000)).toBe(0);
    expect(bucket.isFull(1_500)).toBe(false);
    expect(bucket.take(50, 1_500)).toBe(0);
    expect(bucket.take(1, 500)).toBe(10);
    expect(bucket.isFull(10_000)).toBe(true);
    expect(bucket.take(201, 10_000)).toBe(Infinity);
  });

  it('refuses a rate or burst it cannot honour', () => {
    expect(() => new TokenBucket(0, 10, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(10, 0, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 10, 0)).toThrow(RangeError);
  });
});
