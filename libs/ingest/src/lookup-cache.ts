import { AppError, LastKnownCache } from '@audit/platform';
import type { IngestConfig } from './config';

/** After a failed lookup, Postgres is left alone this long: requests meanwhile are answered from what is known. */
const RETRY_AFTER_FAILURE_MS = 1_000;

/**
 * A per-organization cache of something ingest reads from Postgres, which keeps serving the last value
 * read for up to INGEST_STALE_CACHE_MAX while Postgres is unreachable. An organization with nothing
 * read in that time cannot be decided: 503 `DATABASE_UNAVAILABLE`, which the emitter retries.
 */
export function organizationLookupCache<V>(name: string, what: string, ttlMs: number, config: IngestConfig): LastKnownCache<string, V> {
  return new LastKnownCache<string, V>({
    name,
    ttlMs,
    maxStaleMs: config.staleMaxMs,
    loadTimeoutMs: config.lookupTimeoutMs,
    retryAfterFailureMs: RETRY_AFTER_FAILURE_MS,
    maxEntries: 10_000,
    unavailable: (organizationId) =>
      new AppError(
        'DATABASE_UNAVAILABLE',
        `the ${what} of organization "${organizationId}" cannot be read now (Postgres is unreachable) and none is known from before; retry with the same ids`,
      ),
  });
}
