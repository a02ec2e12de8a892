import fc from 'fast-check';
import { PendingWrites } from './pending-writes';

/** A store whose writes finish only when the test says, so that items can come while one is in progress. */
class ControlledStore {
  readonly writes: number[][] = [];
  private readonly open: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  maxConcurrent = 0;

  write = (items: readonly number[]): Promise<void> => {
    this.writes.push([...items]);
    return new Promise<void>((resolve, reject) => {
      this.open.push({ resolve, reject });
      this.maxConcurrent = Math.max(this.maxConcurrent, this.open.length);
    });
  };

  get inProgress(): number {
    return this.open.length;
  }

  finish(fail: boolean): void {
    const write = this.open.shift();
    if (fail) write?.reject(new Error('store down'));
    else write?.resolve();
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PendingWrites', () => {
  it('writes every item once, in order, one write at a time, those that came during a write together in the next', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant<'add'>('add'), fc.constant<'ok'>('ok'), fc.constant<'fail'>('fail')), { maxLength: 60 }),
        async (steps) => {
          const store = new ControlledStore();
          const pending = new PendingWrites<number>(store.write, 1_000);
          let next = 0;
          for (const step of steps) {
            if (step === 'add') pending.add(next++);
            else store.finish(step === 'fail');
            await settle();
          }
          // The rest finish (a failed write does not stop those after it).
          const flushed = pending.flushed();
          while (store.inProgress > 0) {
            store.finish(false);
            await settle();
          }
          await flushed;
          expect(store.maxConcurrent).toBeLessThanOrEqual(1);
          expect(store.writes.every((w) => w.length > 0)).toBe(true);
          expect(store.writes.flat()).toEqual(Array.from({ length: next }, (_, i) => i));
          expect(pending.waiting).toBe(0);
        },
      ),
    );
  });

  it('keeps at most `limit` items waiting, dropping the oldest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 40 }), async (limit, extra) => {
        const store = new ControlledStore();
        const pending = new PendingWrites<number>(store.write, limit);
        pending.add(0);
        await settle();
        // Item 0 is being written; these wait behind it.
        for (let i = 1; i <= extra; i++) pending.add(i);
        expect(pending.waiting).toBe(Math.min(extra, limit));
        const flushed = pending.flushed();
        while (store.inProgress > 0) {
          store.finish(false);
          await settle();
        }
        await flushed;
        const newest = Array.from({ length: Math.min(extra, limit) }, (_, i) => extra - Math.min(extra, limit) + 1 + i);
        expect(store.writes.flat()).toEqual([0, ...newest]);
      }),
    );
  });

  it('goes on after a writer that throws at once', async () => {
    const written: number[][] = [];
    let calls = 0;
    const pending = new PendingWrites<number>((items) => {
      if (calls++ === 0) throw new Error('thrown, not rejected');
      written.push([...items]);
      return Promise.resolve();
    }, 10);
    pending.add(1);
    await pending.flushed();
    pending.add(2);
    await pending.flushed();
    expect(written).toEqual([[2]]);
  });

  it('is flushed at once when nothing waits', async () => {
    const pending = new PendingWrites<number>(() => Promise.resolve(), 1);
    await expect(pending.flushed()).resolves.toBeUndefined();
    expect(() => new PendingWrites<number>(() => Promise.resolve(), 0)).toThrow(RangeError);
  });
});
