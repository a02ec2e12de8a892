import fc from 'fast-check';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { hasSysNice, lowerThreadPriority, mayRaiseThreadPriority, nicenessOfStat, SharedThreadRestorer, setMainThreadNiceness, threadNiceness, threadsOfThisProcess, threadsToLower, type ThreadInfo } from './thread-priority';

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

/** A thread of this process that reports its own id, then waits to be looked at. */
async function startThread(): Promise<{ tid: number; worker: Worker }> {
  const worker = new Worker(
    "const { parentPort } = require('node:worker_threads'); const fs = require('node:fs'); parentPort.postMessage(Number(require('node:path').basename(fs.readlinkSync('/proc/thread-self')))); setInterval(() => undefined, 1000);",
    { eval: true },
  );
  return { tid: await new Promise<number>((resolve) => worker.once('message', resolve)), worker };
}

linux('SharedThreadRestorer on this process', () => {
  it('puts the shared threads started after its first pass back at the niceness, from below and (with CAP_SYS_NICE) from above, and no other thread', async () => {
    const niceness = getPriority(process.pid);
    const started: Array<{ tid: number; worker: Worker }> = [];
    try {
      const shared = new Set<number>();
      const restorer = new SharedThreadRestorer(niceness, (t) => shared.has(t.tid));
      restorer.restore();
      // Started after the first pass and moved, as a thread a moved statement's pool thread started is.
      const lowered = await startThread();
      const other = await startThread();
      started.push(lowered, other);
      shared.add(lowered.tid);
      setPriority(lowered.tid, Math.min(19, niceness + 2));
      setPriority(other.tid, Math.min(19, niceness + 2));
      expect(restorer.restore()).toBe(1);
      expect(getPriority(lowered.tid)).toBe(niceness);
      // Not picked: left as it is, and looked at again on the next pass.
      expect(getPriority(other.tid)).toBe(Math.min(19, niceness + 2));
      shared.add(other.tid);
      expect(restorer.restore()).toBe(1);
      expect(getPriority(other.tid)).toBe(niceness);
      expect(restorer.restore()).toBe(0);
      if (mayRaiseThreadPriority() && niceness > -20) {
        const raised = await startThread();
        started.push(raised);
        shared.add(raised.tid);
        setPriority(raised.tid, niceness - 1);
        expect(restorer.restore()).toBe(1);
        expect(getPriority(raised.tid)).toBe(niceness);
      }
      expect(getPriority(process.pid)).toBe(niceness);
    } finally {
      await Promise.all(started.map((t) => t.worker.terminate()));
    }
  });
});

describe('hasSysNice', () => {
  it('reads CAP_SYS_NICE (bit 23) from the effective set and no other bit or set', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 41n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 41n) - 1n }), (effective, permitted) => {
        const status = `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${permitted.toString(16).padStart(16, '0')}\nCapEff:\t${effective.toString(16).padStart(16, '0')}\n`;
        expect(hasSysNice(status)).toBe(((effective >> 23n) & 1n) === 1n);
      }),
    );
    expect(hasSysNice('CapEff:\t000001fffeffffff\n')).toBe(true);
    expect(hasSysNice('CapEff:\t0000000000000000\n')).toBe(false);
    expect(hasSysNice('Name:\tnode\n')).toBe(false);
  });
});

describe('nicenessOfStat', () => {
  it('finds the niceness after a command name holding spaces and parentheses', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.integer({ min: -20, max: 19 }), (comm, nice) => {
        const fields = ['S', '1', '1', '1', '0', '-1', '4194560', '10', '0', '0', '0', '5', '3', '0', '0', '20', String(nice), '7'];
        expect(nicenessOfStat(`1234 (${comm}) ${fields.join(' ')}`)).toBe(nice);
      }),
    );
  });
});

linux('threadNiceness', () => {
  it("tells a worker thread's own niceness from the main thread's", async () => {
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads'); const fs = require('node:fs'); const os = require('node:os');
       os.setPriority(Number(require('node:path').basename(fs.readlinkSync('/proc/thread-self'))), Math.min(19, os.getPriority(process.pid) + 3));
       parentPort.postMessage(require(${JSON.stringify(require.resolve('./thread-priority'))}).threadNiceness());`,
      { eval: true, execArgv: ['-r', require.resolve('@swc-node/register')] },
    );
    try {
      const seen = await new Promise<{ thread: number; process: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(seen).toEqual({ thread: Math.min(19, getPriority(process.pid) + 3), process: getPriority(process.pid) });
      expect(threadNiceness()).toEqual({ thread: getPriority(process.pid), process: getPriority(process.pid) });
    } finally {
      await worker.terminate();
    }
  });
});

linux('setMainThreadNiceness', () => {
  /** A thread of this process that reports its own id, then waits to be looked at. */
  const otherThread = async (): Promise<{ tid: number; worker: Worker }> => {
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads'); parentPort.postMessage(Number(require('node:path').basename(require('node:fs').readlinkSync('/proc/thread-self')))); setInterval(() => undefined, 1000);",
      { eval: true },
    );
    return { tid: await new Promise<number>((resolve) => worker.once('message', resolve)), worker };
  };

  it("moves the main thread alone, raised where CAP_SYS_NICE allows it, and says why where it does not", async () => {
    const { tid, worker } = await otherThread();
    const before = getPriority(process.pid);
    const other = getPriority(tid);
    const raised = Math.max(-20, before - 1);
    try {
      const refused = setMainThreadNiceness(raised);
      if (mayRaiseThreadPriority()) {
        expect(refused).toBeUndefined();
        expect(getPriority(process.pid)).toBe(raised);
      } else {
        expect(refused).toEqual(expect.any(String));
        expect(getPriority(process.pid)).toBe(before);
      }
      // The process's other threads keep theirs.
      expect(getPriority(tid)).toBe(other);
    } finally {
      if (mayRaiseThreadPriority()) setMainThreadNiceness(before);
      await worker.terminate();
    }
    expect(getPriority(process.pid)).toBe(before);
  });

  it('says why and leaves the thread alone when the niceness is out of range', () => {
    const before = getPriority(process.pid);
    expect(setMainThreadNiceness(-21)).toMatch(/range/i);
    expect(setMainThreadNiceness(20)).toMatch(/range/i);
    expect(getPriority(process.pid)).toBe(before);
  });
});
