import type { LoggerService } from '@nestjs/common';
import { sharedCell, waitWhileCellIs } from './cross-thread-lock';

/**
 * Work the process must not exit under. An embedded ClickHouse (chDB) statement runs on a thread inside
 * the process; `process.exit` while one runs first blocks until the statement ends, then tears the engine
 * down beneath it, and the process dies of SIGSEGV (exit status 139) rather than with the code it chose.
 * Such work registers here (libs/clickhouse does, for every statement on embedded chDB) and
 * {@link exitWhenSafe} waits for it.
 *
 * Process-wide: besides this thread's own list (which names the work in logs), every thread counts its
 * registered work in one shared cell, so the thread that exits also waits for statements running in other
 * threads (the standalone's projector runs chDB in its consumers thread; process.exit from the main thread
 * ends every thread).
 */
/**
 * How long past its deadline (SHUTDOWN_TIMEOUT) a process waits for running work before it kills itself:
 * with the default 25 s, inside Kubernetes' 30 s grace period.
 */
export const EXIT_GRACE_MS = 3_000;

const running = new Map<Promise<void>, string>();
/** Registered work running in any thread of the process (taken at load, before any worker starts). */
const inProcess = new Int32Array(sharedCell('exit-guard-running'));

/** Registers `work` (described as `what`, e.g. "chDB statement") until it settles; returns `work` itself. */
export function holdExitWhile<T>(work: Promise<T>, what: string): Promise<T> {
  Atomics.add(inProcess, 0, 1);
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  running.set(settled, what);
  void settled.then(() => {
    running.delete(settled);
    Atomics.sub(inProcess, 0, 1);
    Atomics.notify(inProcess, 0);
  });
  return work;
}

/** What is running now that the process must not exit under, counted by kind (empty when nothing is). */
export function workHoldingExit(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const what of running.values()) counts[what] = (counts[what] ?? 0) + 1;
  const elsewhere = Atomics.load(inProcess, 0) - running.size;
  if (elsewhere > 0) counts['in other threads'] = elsewhere;
  return counts;
}

/**
 * Exits with `code` once no registered work runs. Work still running `graceMs` later is not waited for:
 * the process logs why and ends itself with SIGKILL (status 137), which stops every thread at once,
 * rather than calling `process.exit` under it and crashing with a segfault after waiting for it anyway.
 */
export async function exitWhenSafe(code: number, graceMs: number, logger: Pick<LoggerService, 'warn' | 'error'>): Promise<never> {
  if (Atomics.load(inProcess, 0) > 0) {
    logger.warn({ msg: 'waiting for running work before exiting', running: workHoldingExit(), graceMs, code });
    if (!(await settledWithin(graceMs))) {
      logger.error({ msg: 'work still running after the grace period; killing the process (SIGKILL), since exiting under it crashes the process', running: workHoldingExit(), graceMs, code });
      process.kill(process.pid, 'SIGKILL');
    }
    // chDB releases a connection closed during the statement once the statement ended, a step later.
    await new Promise((resolve) => setImmediate(resolve));
  }
  process.exit(code);
}

/** Whether every registered work of every thread (including work registered while waiting) settled within `ms`. */
async function settledWithin(ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let now = Date.now(); now < deadline; now = Date.now()) {
    const count = Atomics.load(inProcess, 0);
    if (count === 0) return true;
    await waitWhileCellIs(inProcess, count, deadline - now);
  }
  return Atomics.load(inProcess, 0) === 0;
}
