import { Inject, Injectable } from '@nestjs/common';
import { RetentionPoliciesRepository } from '@audit/persistence';
import type { LastKnownCache } from '@audit/platform';
import { readOrganizationPolicy, resolveOrganizationRetention, type OrganizationPolicy, type Retention } from '@audit/retention';
import { INGEST_CONFIG, type IngestConfig } from './config';
import { organizationLookupCache } from './lookup-cache';

/** Where ingest learns an organization's retention; an interface so the use case's rule is testable alone. */
export interface RetentionSource {
  retentionFor(organizationId: string, now: Date): Promise<Retention>;
}

export const RETENTION_SOURCE = Symbol('RETENTION_SOURCE');

/**
 * Each organization's retention as the purge resolves it (legal hold, its own days, AUDIT_RETENTION_DAYS),
 * read from `retention_policies` and cached for RETENTION_POLICY_CACHE_TTL; while Postgres is unreachable
 * the last policy read is used. The policy is cached, not the cutoff: the cutoff moves with `now`.
 */
@Injectable()
export class RetentionPolicyService implements RetentionSource {
  private readonly cache: LastKnownCache<string, OrganizationPolicy>;

  constructor(
    private readonly policies: RetentionPoliciesRepository,
    @Inject(INGEST_CONFIG) config: IngestConfig,
  ) {
    this.cache = organizationLookupCache('retention_policies', 'retention policy', config.retentionCacheMs, config);
  }

  async retentionFor(organizationId: string, now: Date): Promise<Retention> {
    const policy = await this.cache.get(organizationId, () => readOrganizationPolicy(this.policies, organizationId));
    return resolveOrganizationRetention(policy, now);
  }
}
