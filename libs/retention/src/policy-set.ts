import type { RetentionPoliciesRepository } from '@audit/persistence';
import type { OrganizationPolicy, PolicySet } from './policy';

/**
 * Every organization's policy as stored (overrides and holds) with the global default, in one read: what
 * the purge plans by, and what the streams check the bus's copies against, so both resolve the same policies.
 */
export async function readPolicySet(policies: RetentionPoliciesRepository): Promise<PolicySet> {
  const list = await policies.list();
  return {
    defaultDays: policies.defaultDays,
    organizations: new Map(list.map((p) => [p.organizationId, { days: p.days, holdReason: p.hold?.reason ?? null }])),
  };
}

/**
 * One organization's policy as stored with the global default, read alone: what ingest caches to refuse
 * events past retention, and where a stream's replay starts (both through `resolveOrganizationRetention`).
 */
export async function readOrganizationPolicy(policies: RetentionPoliciesRepository, organizationId: string): Promise<OrganizationPolicy> {
  const { days, defaultDays, hold } = await policies.get(organizationId);
  return { organizationId, days, defaultDays, hold: hold && { reason: hold.reason } };
}
