import { Cron } from 'croner';
import { readConfig } from '@audit/platform';

export interface RetentionConfig {
  /** When the scheduled run fires (croner syntax, optional seconds field). */
  cron: string;
  /** Rows one DELETE statement removes at most, so each transaction stays short. */
  batchSize: number;
  /** `lock_timeout` of every purge statement: a purge gives up and retries rather than make writers queue behind it. */
  lockTimeoutMs: number;
}

export const RETENTION_CONFIG = Symbol('RETENTION_CONFIG');

export const readRetentionConfig = (source: Record<string, string | undefined> = process.env): RetentionConfig =>
  readConfig((env) => {
    const cron = env.string('RETENTION_CRON', '0 * * * *');
    try {
      new Cron(cron, { paused: true }).stop();
    } catch (error) {
      env.problem(`RETENTION_CRON must be a cron expression such as "0 * * * *" (got "${cron}": ${(error as Error).message})`);
    }
    return {
      cron,
      batchSize: env.int('RETENTION_BATCH_SIZE', 5_000, { min: 100, max: 100_000 }),
      lockTimeoutMs: env.timer('RETENTION_LOCK_TIMEOUT', '500ms'),
    };
  }, source);
