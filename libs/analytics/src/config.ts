import { readSearchBounds, type SearchBounds } from '@audit/clickhouse';
import { readConfig } from '@audit/platform';

/**
 * The analytics API's settings. SEARCH_MAX_ROWS and SEARCH_TIMEOUT (`SearchBounds`, as for the events API's
 * searches) bound every statement that reads the raw events.
 */
export interface AnalyticsConfig extends SearchBounds {
  /** The widest from..to window an analytics request may ask for. */
  maxWindowMs: number;
}

export const ANALYTICS_CONFIG = Symbol('ANALYTICS_CONFIG');

export const readAnalyticsConfig = (source: Record<string, string | undefined> = process.env): AnalyticsConfig =>
  readConfig((env) => ({ maxWindowMs: env.duration('ANALYTICS_MAX_WINDOW', '400d'), ...readSearchBounds(env) }), source);
