import { Cron } from 'croner';

/** A running {@link scheduleCron}: when it next runs, and how to stop it. */
export interface CronSchedule {
  /** The next run, or null when the pattern has none left. */
  next(): Date | null;
  /** Stops scheduling and resolves once a run in progress has finished, so it never outlives the pools it uses. */
  stop(): Promise<void>;
}

/**
 * Runs `work` on the croner `pattern` (UTC; an optional seconds field first). A run still going when the
 * next is due is not started twice in this process (croner's `protect`); one replica at a time is the
 * work's own business (the retention run and the alerts tick each take a Postgres advisory lock, which
 * their CLI and test callers rely on too). A run that fails is handed to `onError` and the schedule goes on.
 */
export function scheduleCron(pattern: string, work: () => Promise<unknown>, onError: (error: Error) => void): CronSchedule {
  let running: Promise<unknown> | undefined;
  const job = new Cron(pattern, { protect: true, timezone: 'UTC' }, async () => {
    running = work().catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
    await running;
  });
  return {
    next: () => job.nextRun(),
    stop: async () => {
      job.stop();
      await running;
    },
  };
}
