import { Inject, Injectable } from '@nestjs/common';
import { counter } from '@audit/platform';
import { INGEST_CONFIG, type IngestConfig } from './config';
import { TokenBucket } from './token-bucket';

/** Events held back by INGEST_RATE_LIMIT, by source: `http` answered 429, `nats` left on the bus for later. */
export const rateLimitedEvents = counter(
  'audit_ingest_rate_limited_events_total',
  'Events over their organization\'s INGEST_RATE_LIMIT: refused with 429 (source="http") or left on AUDIT_INGEST for later (source="nats"), by organization',
  ['source', 'organizationId'],
);

/** Buckets above this many are swept of the full ones (which behave as new): memory stays bounded by the active organizations. */
const SWEEP_ABOVE = 10_000;

/**
 * Per-organization admission of ingest (INGEST_RATE_LIMIT events per second, INGEST_RATE_BURST at once),
 * so one noisy emitter cannot take the pipeline from the others. Counted in events, not requests, and
 * shared by both paths: a 1000-event POST takes 1000 tokens, as 1000 bus messages do. Each ingest
 * replica holds its own buckets: the deployment admits up to `replicas ×` the limit.
 */
@Injectable()
export class IngestRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    @Inject(INGEST_CONFIG) private readonly config: Pick<IngestConfig, 'rateLimitPerSecond' | 'rateBurst'>,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get enabled(): boolean {
    return this.config.rateLimitPerSecond > 0;
  }

  /**
   * Admits `n` events of the organization now (returns 0) or none of them (returns the milliseconds until
   * they would be admitted). Always 0 when no limit is set.
   */
  admit(organizationId: string, n: number): number {
    if (!this.enabled) return 0;
    const now = this.clock();
    let bucket = this.buckets.get(organizationId);
    if (!bucket) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep(now);
      bucket = new TokenBucket(this.config.rateLimitPerSecond, this.config.rateBurst, now);
      this.buckets.set(organizationId, bucket);
    }
    return bucket.take(n, now);
  }

  private sweep(now: number): void {
    for (const [organizationId, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(organizationId);
  }
}
