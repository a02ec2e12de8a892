import { readConfig } from '@audit/platform';

export interface IngestConfig {
  /** HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS: drop `metadata.headers` from every event before it is stored. */
  hideAllHeaders: boolean;
  /** How long per-organization redaction rules are cached (a rule change applies after at most this). */
  redactionCacheMs: number;
  /** How long an organization's retention policy is cached (a policy change applies to ingest after at most this). */
  retentionCacheMs: number;
  /**
   * How long after it was last read from Postgres a redaction rule set, a retention policy (and, in
   * `AuthConfig`, a verified key) is still served while Postgres is unreachable (INGEST_STALE_CACHE_MAX).
   */
  staleMaxMs: number;
  /** A Postgres lookup of ingest that has not answered in this long counts as failed (INGEST_LOOKUP_TIMEOUT). */
  lookupTimeoutMs: number;
  batchSize: number;
  flushIntervalMs: number;
  /** INGEST_RATE_LIMIT: events per second each organization may send to this replica; 0 = no limit. */
  rateLimitPerSecond: number;
  /** INGEST_RATE_BURST: events an organization may send at once above its rate (at least one full batch of 1000). */
  rateBurst: number;
  /**
   * INGEST_MAX_EVENT_LOOP_DELAY: above this recent event-loop delay, POST /v1/events answers 503 with
   * Retry-After instead of taking more (IngestLoadShedder); 0ms = never, the default: a process of ingest
   * alone has nothing to keep its loop free for, and scales out on CPU. The standalone sets it (main.ts).
   */
  maxEventLoopDelayMs: number;
}

/** The largest batch POST /v1/events takes: a smaller burst would refuse such a batch for ever. */
const MAX_BATCH = 1000;

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export const readIngestConfig = (source: Record<string, string | undefined> = process.env): IngestConfig =>
  readConfig(
    (env) => {
      const config: IngestConfig = {
        hideAllHeaders: env.bool('HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS', false),
        redactionCacheMs: env.duration('REDACTION_CACHE_TTL', '5s'),
        retentionCacheMs: env.duration('RETENTION_POLICY_CACHE_TTL', '5s'),
        staleMaxMs: env.duration('INGEST_STALE_CACHE_MAX', '1h'),
        lookupTimeoutMs: env.timer('INGEST_LOOKUP_TIMEOUT', '2s'),
        batchSize: env.int('INGEST_CONSUMER_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
        flushIntervalMs: env.timer('INGEST_CONSUMER_FLUSH_INTERVAL', '20ms'),
        rateLimitPerSecond: env.int('INGEST_RATE_LIMIT', 0, { min: 0, max: 10_000_000 }),
        rateBurst: 0,
        maxEventLoopDelayMs: env.duration('INGEST_MAX_EVENT_LOOP_DELAY', '0ms'),
      };
      config.rateBurst = env.int('INGEST_RATE_BURST', Math.max(MAX_BATCH, config.rateLimitPerSecond), { min: MAX_BATCH, max: 100_000_000 });
      if (config.lookupTimeoutMs <= 0) env.problem('INGEST_LOOKUP_TIMEOUT must be longer than 0');
      return config;
    },
    source,
  );
