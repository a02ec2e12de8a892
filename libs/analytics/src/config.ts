import { readConfig } from '@audit/platform';

export interface AnalyticsConfig {
  /** The widest from..to window an analytics request may ask for. */
  maxWindowMs: number;
}

export const ANALYTICS_CONFIG = Symbol('ANALYTICS_CONFIG');

export const readAnalyticsConfig = (source: Record<string, string | undefined> = process.env): AnalyticsConfig =>
  readConfig((env) => ({ maxWindowMs: env.duration('ANALYTICS_MAX_WINDOW', '400d') }), source);
