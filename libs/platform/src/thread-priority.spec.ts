import fc from 'fast-check';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { lowerThreadPriority, threadsOfThisProcess, threadsToLower, type ThreadInfo } from './thread-priority';

const thread = fc.record({ tid: fc.integer({ min: 1, max: 500 }), name: fc.constantFrom('node', 'MergeMutate', 'ThreadPool', 'BgSchPool'), niceness: fc.integer({ min: -20, max: 19 }) });

describe('threadsToLower', () => {
  it('picks exactly the threads asked for, other than the main one, that run at a better priority than asked', () => {
    fc.assert(
      fc.property(fc.uniqueArray(thread, { selector: (t) => t.tid, maxLength: 40 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 19 }), (threads: ThreadInfo[], mainTid, niceness) => {
        const background = (t: ThreadInfo) => t.name !== 'node';
        const picked = threadsToLower(threads, mainTid, niceness, background);
        expect(picked).toEqual(threads.filter((t) => t.tid !== mainTid && background(t) && t.niceness < niceness));
        // Never the main thread, never a raise.
        for (const t of picked) expect(t.tid === mainTid || t.niceness >= niceness).toBe(false);
      }),
    );
  });
});

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('lowerThreadPriority on this process', () => {
  it("lowers another thread of the process and leaves the main thread's priority alone", async () => {
    // A thread of this process that reports its own id, then waits to be looked at.
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads'); const fs = require('node:fs'); parentPort.postMessage(Number(require('node:path').basename(fs.readlinkSync('/proc/thread-self')))); setInterval(() => undefined, 1000);",
      { eval: true },
    );
    try {
      const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
      const mainBefore = getPriority(process.pid);
      const target = Math.min(19, Math.max(mainBefore, getPriority(tid)) + 2);
      // Only the worker is picked: the test process's other threads (V8's, libuv's) keep their priority.
      expect(lowerThreadPriority(target, (t) => t.tid === tid)).toBe(1);
      expect(getPriority(tid)).toBe(target);
      expect(getPriority(process.pid)).toBe(mainBefore);
      expect(threadsOfThisProcess().find((t) => t.tid === tid)?.niceness).toBe(target);
      // Already there: nothing more to lower.
      expect(lowerThreadPriority(target, (t) => t.tid === tid)).toBe(0);
      // The main thread is never picked, whatever the predicate says.
      expect(threadsToLower(threadsOfThisProcess(), process.pid, 19, () => true).some((t) => t.tid === process.pid)).toBe(false);
    } finally {
      await worker.terminate();
    }
  });
});
