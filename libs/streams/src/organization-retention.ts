import { resolveRetention, type PolicySet, type Retention } from '@audit/retention';

/**
 * Every organization's retention policy as last read, for what the streams send: the purge removes events
 * past an organization's retention from Postgres and ClickHouse, but the bus keeps its own copies
 * (AUDIT_EVENTS, for STREAM_MAX_AGE), and a stream that lags, resumes or replays would send them again. Each
 * worker resolves its organization's retention once per batch ({@link of}) and skips the events the purge
 * removes by its own rule (`purgedCreatedAt` of @audit/retention: `isPurged` on the event's createdAt text);
 * the cutoff moves with the clock, the policies are what is kept.
 */
export class OrganizationRetention {
  /** Nothing read yet: the runner reads the policies before it starts any worker. */
  private policies: PolicySet | undefined;

  /** The policies as last read: replaces what was known. */
  replace(policies: PolicySet): void {
    this.policies = policies;
  }

  /** The organization's retention at `now`, resolved as the purge resolves it (hold, own days, the default). */
  of(organizationId: string, now: Date): Retention {
    if (!this.policies) throw new Error('the retention policies have not been read yet');
    return resolveRetention(this.policies, organizationId, now);
  }
}
