import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { CrossThreadLock, crossThreadLock } from './cross-thread-lock';

describe('CrossThreadLock', () => {
  it('never runs two tasks at once, runs every one, and hands back each result or failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ ms: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }), { minLength: 1, maxLength: 12 }), async (tasks) => {
        const lock = new CrossThreadLock(new SharedArrayBuffer(4));
        let running = 0;
        let most = 0;
        const outcomes = await Promise.allSettled(
          tasks.map(({ ms, fails }, i) =>
            lock.run(async () => {
              running++;
              most = Math.max(most, running);
              await sleep(ms);
              running--;
              if (fails) throw new Error(`task ${i}`);
              return i;
            }),
          ),
        );
        expect(most).toBe(1);
        outcomes.forEach((outcome, i) => expect(outcome).toEqual(tasks[i].fails ? { status: 'rejected', reason: new Error(`task ${i}`) } : { status: 'fulfilled', value: i }));
      }),
      { numRuns: 50 },
    );
  });

  it('is one lock per name in the process, another for another name', async () => {
    let release = (): void => undefined;
    const held = crossThreadLock('a').run(() => new Promise<void>((resolve) => (release = resolve)));
    const order: string[] = [];
    const sameName = crossThreadLock('a').run(() => Promise.resolve(void order.push('a again')));
    await crossThreadLock('b').run(() => Promise.resolve(void order.push('b')));
    expect(order).toEqual(['b']);
    release();
    await held;
    await sameName;
    expect(order).toEqual(['b', 'a again']);
  });
});
