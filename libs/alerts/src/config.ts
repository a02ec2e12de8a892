import { readConfig } from '@audit/platform';

export interface AlertsConfig {
  /** Whether this process runs the every-minute evaluation (ALERTS_EVALUATE); the API is served either way. */
  evaluate: boolean;
  /**
   * How long after a minute ends it is evaluated at the earliest (ALERTS_EVALUATION_DELAY): time for the
   * writer to store that minute's events in Postgres. The evaluator also waits until ClickHouse holds them
   * (the projector's high-water mark), however long that takes.
   */
  delayMs: number;
  /** Most minutes one alert catches up after the evaluators were stopped (ALERTS_CATCH_UP); older ones are skipped and logged. */
  catchUpMinutes: number;
  /** Delivery attempts of a firing before it is marked failed (ALERTS_DELIVERY_ATTEMPTS). */
  deliveryAttempts: number;
  /** Longest a webhook may take to answer (ALERTS_DELIVERY_TIMEOUT). */
  deliveryTimeoutMs: number;
}

export const ALERTS_CONFIG = Symbol('ALERTS_CONFIG');

export const readAlertsConfig = (source: Record<string, string | undefined> = process.env): AlertsConfig =>
  readConfig((env) => {
    const catchUpMs = env.duration('ALERTS_CATCH_UP', '24h');
    if (catchUpMs < 60_000) env.problem(`ALERTS_CATCH_UP must be at least 1m (got ${catchUpMs} ms)`);
    const delayMs = env.duration('ALERTS_EVALUATION_DELAY', '20s');
    if (delayMs > 50_000) env.problem(`ALERTS_EVALUATION_DELAY must be at most 50s, within the minute (got ${delayMs} ms)`);
    return {
      evaluate: env.bool('ALERTS_EVALUATE', true),
      delayMs,
      catchUpMinutes: Math.floor(catchUpMs / 60_000),
      deliveryAttempts: env.int('ALERTS_DELIVERY_ATTEMPTS', 8, { min: 1, max: 100 }),
      deliveryTimeoutMs: env.timer('ALERTS_DELIVERY_TIMEOUT', '10s'),
    };
  }, source);
