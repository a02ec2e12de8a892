import { isMainThread, workerData } from 'node:worker_threads';

/** The key of `workerData` under which {@link startWorkerContext} hands a thread the process's lock cells. */
export const LOCK_CELLS_KEY = 'crossThreadLockCells';

/**
 * The lock cells of this process by name: created by the main thread, handed to each worker thread it
 * starts (see `startWorkerContext`), so the same name is the same memory in every thread.
 */
/** `Atomics.waitAsync` (Node 16+), which this workspace's TypeScript library (ES2022) does not declare yet. */
const waitAsync = (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): { async: boolean; value: Promise<string> | string } }).waitAsync.bind(Atomics);

const cells = new Map<string, SharedArrayBuffer>(
  isMainThread ? [] : Object.entries(((workerData ?? {}) as Record<string, unknown>)[LOCK_CELLS_KEY] ?? {}) as Array<[string, SharedArrayBuffer]>,
);

/** The cells to hand a worker thread being started. */
export function lockCellsForWorker(): Record<string, SharedArrayBuffer> {
  return Object.fromEntries(cells);
}

/**
 * A mutual exclusion of async tasks across the threads of the process: at most one task under the lock
 * runs at a time, whichever thread started it. One 32-bit cell of shared memory holds it (0 free, 1 held);
 * waiters sleep in `Atomics.waitAsync`, which does not block their event loop.
 *
 * Use it for a native resource that is one per process though each thread reaches it through its own
 * JavaScript module instance (embedded chDB's parameterised statements, see libs/clickhouse).
 */
export class CrossThreadLock {
  private readonly cell: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cell = new Int32Array(buffer, 0, 1);
  }

  /** Runs `task` once no other task under the lock runs in any thread; releases the lock when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      Atomics.store(this.cell, 0, 0);
      Atomics.notify(this.cell, 0);
    }
  }

  private async acquire(): Promise<void> {
    while (Atomics.compareExchange(this.cell, 0, 0, 1) !== 0) {
      const wait = waitAsync(this.cell, 0, 1);
      if (wait.async) await wait.value;
    }
  }
}

/**
 * The process's lock called `name`. The main thread must take it before it starts the worker threads that
 * share it (a module-level constant of the lib that uses it does): a worker thread given no cell of that
 * name makes its own, shared with nobody.
 */
export function crossThreadLock(name: string): CrossThreadLock {
  return new CrossThreadLock(sharedCell(name));
}

/**
 * The process's 32-bit shared cell called `name` (zero when made), under the same rule as
 * {@link crossThreadLock}: the main thread takes it before it starts the worker threads that share it.
 */
export function sharedCell(name: string): SharedArrayBuffer {
  let cell = cells.get(name);
  if (!cell) {
    cell = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    cells.set(name, cell);
  }
  return cell;
}

/** Waits until the cell's value is no longer `value`, or `ms` passed; never blocks the event loop. */
export async function waitWhileCellIs(cell: Int32Array, value: number, ms: number): Promise<void> {
  const wait = waitAsync(cell, 0, value, ms);
  if (wait.async) await wait.value;
}
