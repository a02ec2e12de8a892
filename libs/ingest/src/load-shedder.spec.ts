import fc from 'fast-check';
import { BUSY_UTILIZATION, IngestLoadShedder } from './load-shedder';

/** A loop whose recent delay is read from a script, one entry per check, the last one repeated. */
function scriptedLoop(delaysMs: number[], utilization = 1): { recentMs: number; recentUtilization: number; checks: number } {
  const loop = {
    checks: 0,
    recentUtilization: utilization,
    get recentMs(): number {
      return delaysMs[Math.min(loop.checks++, delaysMs.length - 1)];
    },
  };
  return loop;
}

describe('IngestLoadShedder.admitWithin: the wait of work that has no client to answer 503 to', () => {
  it('with no time to wait, admits exactly when overloadedBy admits, after one look', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 500, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), async (bound, recentMs, recentUtilization) => {
        const loop = scriptedLoop([recentMs], recentUtilization);
        const shedder = new IngestLoadShedder({ maxEventLoopDelayMs: bound }, loop);
        const admitted = await shedder.admitWithin(0);
        // One look at the loop at most: admitted or not, a zero wait never polls again.
        expect(loop.checks).toBeLessThanOrEqual(1);
        expect(admitted).toBe(shedder.overloadedBy() === undefined);
        expect(admitted).toBe(bound <= 0 || recentMs <= bound || recentUtilization < BUSY_UTILIZATION);
      }),
      { numRuns: 200 },
    );
  });

  it('waits while the loop stays late and admits on the first check after it caught up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 8 }), async (lateChecks) => {
        const loop = scriptedLoop([...Array.from({ length: lateChecks }, () => 100), 5]);
        const admitted = await new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, loop).admitWithin(10_000, 1);
        expect(admitted).toBe(true);
        expect(loop.checks).toBe(lateChecks + 1);
      }),
      { numRuns: 20 },
    );
  });

  it('gives up after its wait when the loop stays late, having waited that long', async () => {
    const loop = scriptedLoop([100]);
    const started = performance.now();
    expect(await new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, loop).admitWithin(120, 10)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(loop.checks).toBeGreaterThan(1);
  });

  it('does not wait for a loop that is late only because others hold the core (low utilization)', async () => {
    const loop = scriptedLoop([500], BUSY_UTILIZATION / 2);
    expect(await new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, loop).admitWithin(10_000)).toBe(true);
    expect(loop.checks).toBe(1);
  });
});
