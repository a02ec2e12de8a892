import type { LoggerService } from '@nestjs/common';

/**
 * Work the process must not exit under. An embedded ClickHouse (chDB) statement runs on a thread inside
 * the process; `process.exit` while one runs first blocks until the statement ends, then tears the engine
 * down beneath it, and the process dies of SIGSEGV (exit status 139) rather than with the code it chose.
 * Such work registers here (libs/clickhouse does, for every statement on embedded chDB) and
 * {@link exitWhenSafe} waits for it.
 *
 * Per thread: a worker thread's statements are not seen by the main thread's registry (chDB runs on the
 * main thread of every service today; see the standalone's ConsumersModule).
 */
/**
 * How long past its deadline (SHUTDOWN_TIMEOUT) a process waits for running work before it kills itself:
 * with the default 25 s, inside Kubernetes' 30 s grace period.
 */
export const EXIT_GRACE_MS = 3_000;

const running = new Map<Promise<void>, string>();

/** Registers `work` (described as `what`, e.g. "chDB statement") until it settles; returns `work` itself. */
export function holdExitWhile<T>(work: Promise<T>, what: string): Promise<T> {
  const settled = work.then(
    () => undefined,
    () => undefined,
  );
  running.set(settled, what);
  void settled.then(() => running.delete(settled));
  return work;
}

/** What is running now that the process must not exit under, counted by kind (empty when nothing is). */
export function workHoldingExit(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const what of running.values()) counts[what] = (counts[what] ?? 0) + 1;
  return counts;
}

/**
 * Exits with `code` once no registered work runs. Work still running `graceMs` later is not waited for:
 * the process logs why and ends itself with SIGKILL (status 137), which stops every thread at once,
 * rather than calling `process.exit` under it and crashing with a segfault after waiting for it anyway.
 */
export async function exitWhenSafe(code: number, graceMs: number, logger: Pick<LoggerService, 'warn' | 'error'>): Promise<never> {
  if (running.size > 0) {
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

/** Whether every registered work (including work registered while waiting) settled within `ms`. */
async function settledWithin(ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    while (running.size > 0) {
      const drained = await Promise.race([Promise.all(running.keys()).then(() => true as const), expired]);
      if (!drained) return false;
    }
    return true;
  } finally {
    clearTimeout(timer);
  }
}
