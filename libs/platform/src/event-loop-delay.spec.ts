import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventLoopDelay, eventLoopDelay } from './event-loop-delay';

/** Holds the thread for `ms`, as a long synchronous task does. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else runs on this thread meanwhile
  }
}

describe('EventLoopDelay', () => {
  const samples = fc.array(fc.record({ late: fc.double({ min: 0, max: 10_000, noNaN: true }), elapsed: fc.double({ min: 0, max: 10_000, noNaN: true }) }), { minLength: 1, maxLength: 200 });

  it('reads between the least and the greatest delay recorded (never above what the loop showed)', () => {
    fc.assert(
      fc.property(samples, (recorded) => {
        const delay = new EventLoopDelay();
        for (const { late, elapsed } of recorded) delay.record(late, elapsed);
        expect(delay.recentMs).toBeLessThanOrEqual(Math.max(...recorded.map((s) => s.late)) + 1e-9);
        expect(delay.recentMs).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('averages the utilization the same way, within 0 and 1', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ elapsed: fc.double({ min: 0, max: 10_000, noNaN: true }), used: fc.double({ min: -1, max: 2, noNaN: true }) }), { minLength: 1, maxLength: 100 }), (recorded) => {
        const delay = new EventLoopDelay();
        for (const { elapsed, used } of recorded) delay.record(0, elapsed, used);
        expect(delay.recentUtilization).toBeGreaterThanOrEqual(0);
        expect(delay.recentUtilization).toBeLessThanOrEqual(1);
      }),
    );
    const delay = new EventLoopDelay(250);
    for (let i = 0; i < 50; i++) delay.record(30, 50, 1);
    expect(delay.recentUtilization).toBeGreaterThan(0.99);
  });

  it('halves with every half-life of a free loop, and a loop held most of the time reads most of the hold', () => {
    const delay = new EventLoopDelay(250);
    delay.record(200, 220);
    expect(delay.recentMs).toBeGreaterThan(90);
    const held = delay.recentMs;
    for (let i = 0; i < 25; i++) delay.record(0, 10);
    expect(delay.recentMs).toBeCloseTo(held / 2, 6);
  });

  it('a late timer of a few milliseconds hardly moves it; a loop that stays busy keeps it up', () => {
    const delay = new EventLoopDelay(250);
    delay.record(5, 25);
    expect(delay.recentMs).toBeLessThan(1);
    for (let i = 0; i < 20; i++) delay.record(60, 80);
    expect(delay.recentMs).toBeGreaterThan(50);
  });

  it("follows this thread's loop: long synchronous tasks raise it, a free loop brings it down again", async () => {
    // Relative bounds: on a shared machine a free loop's timers are late by a few milliseconds too.
    const delay = eventLoopDelay();
    for (let i = 0; i < 5; i++) {
      block(150);
      await sleep(25);
    }
    const busy = delay.recentMs;
    expect(busy).toBeGreaterThan(40);
    expect(delay.recentUtilization).toBeGreaterThan(0.5);
    await sleep(1_500);
    expect(delay.recentMs).toBeLessThan(busy / 4);
    expect(delay.recentUtilization).toBeLessThan(0.5);
  });
});
