import fc from 'fast-check';
import { FairScheduler } from './fair-scheduler';

describe('FairScheduler', () => {
  it('never runs more than its slots at once, runs every job, and starts waiting jobs in arrival order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 30 }), async (slots, delays) => {
        const scheduler = new FairScheduler(slots);
        let running = 0;
        let peak = 0;
        const started: number[] = [];
        await Promise.all(
          delays.map((delay, i) =>
            scheduler.run(async () => {
              started.push(i);
              running++;
              peak = Math.max(peak, running);
              await new Promise((resolve) => setTimeout(resolve, delay));
              running--;
            }),
          ),
        );
        expect(peak).toBeLessThanOrEqual(slots);
        expect(started).toEqual(delays.map((_, i) => i));
        expect(scheduler.load).toEqual({ running: 0, waiting: 0 });
      }),
      { numRuns: 40 },
    );
  });

  it('frees the slot of a job that throws', async () => {
    const scheduler = new FairScheduler(1);
    await expect(scheduler.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(scheduler.run(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
