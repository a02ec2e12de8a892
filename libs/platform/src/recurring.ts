import { Cron } from 'croner';

/** A running {@link scheduleEvery}: stopping it. */
export interface Recurring {
  /** Stops scheduling and resolves once a run in progress has finished, so it never outlives the pools it uses. */
  stop(): Promise<void>;
}

/** A running {@link scheduleCron}: when it next runs, and stopping it. */
export interface CronSchedule extends Recurring {
  /** The next run, or null when the pattern has none left (or it was stopped). */
  next(): Date | null;
}

/**
 * What the schedules below share: one run at a time in this process (a run due while the last still goes is
 * skipped, not queued), a failed run handed to `onError` (the schedule goes on), and the run in progress to
 * wait for on stop. One replica at a time is the work's own business (the retention run and the alerts tick
 * each take a Postgres advisory lock, which their CLI and test callers rely on too).
 */
function oneAtATime(work: () => Promise<unknown>, onError: (error: Error) => void): { run: () => void; running: () => Promise<void> | undefined } {
  let running: Promise<void> | undefined;
  return {
    run: () => {
      running ??= work()
        .then(
          () => undefined,
          (error: unknown) => onError(error instanceof Error ? error : new Error(String(error))),
        )
        .finally(() => (running = undefined));
    },
    running: () => running,
  };
}

/** Runs `work` on the croner `pattern` (UTC; an optional seconds field first), one run at a time. */
export function scheduleCron(pattern: string, work: () => Promise<unknown>, onError: (error: Error) => void): CronSchedule {
  const runs = oneAtATime(work, onError);
  const job = new Cron(pattern, { timezone: 'UTC' }, runs.run);
  return {
    next: () => job.nextRun(),
    stop: async () => {
      job.stop();
      await runs.running();
    },
  };
}

/** Runs `work` every `intervalMs`, one run at a time; the timer does not keep the process alive. */
export function scheduleEvery(intervalMs: number, work: () => Promise<unknown>, onError: (error: Error) => void): Recurring {
  const runs = oneAtATime(work, onError);
  const timer = setInterval(runs.run, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await runs.running();
    },
  };
}
