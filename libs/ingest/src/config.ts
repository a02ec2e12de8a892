import { readConfig } from '@audit/platform';

export interface IngestConfig {
  /** HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS: drop `metadata.headers` from every event before it is stored. */
  hideAllHeaders: boolean;
  /** How long per-organization redaction rules are cached (a rule change applies after at most this). */
  redactionCacheMs: number;
  batchSize: number;
  flushIntervalMs: number;
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export const readIngestConfig = (source: Record<string, string | undefined> = process.env): IngestConfig =>
  readConfig(
    (env) => ({
      hideAllHeaders: env.bool('HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS', false),
      redactionCacheMs: env.duration('REDACTION_CACHE_TTL', '5s'),
      batchSize: env.int('INGEST_CONSUMER_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
      flushIntervalMs: env.duration('INGEST_CONSUMER_FLUSH_INTERVAL', '20ms'),
    }),
    source,
  );
