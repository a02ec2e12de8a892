/** What an organization's policy says about its events, at one instant. */
export type Retention =
  /** Legal hold: nothing of the organization goes, in any store. */
  | { kind: 'hold'; reason: string }
  /** Policy 0: kept forever. */
  | { kind: 'forever' }
  /** Events with `createdAt < cutoff` go; an event exactly at the cutoff stays. */
  | { kind: 'cutoff'; days: number; cutoff: Date };

/** The policies in force: the global default and the organizations that override it or are held. */
export interface PolicySet {
  defaultDays: number;
  organizations: ReadonlyMap<string, { days: number | null; holdReason: string | null }>;
}

const DAY_MS = 86_400_000;

/** `now − days`, to the millisecond. */
export function cutoffFor(days: number, now: Date): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Resolves one organization's retention: hold first, then its override, then the global default. */
export function resolveRetention(policies: PolicySet, organizationId: string, now: Date): Retention {
  const own = policies.organizations.get(organizationId);
  if (own?.holdReason != null) return { kind: 'hold', reason: own.holdReason };
  const days = own?.days ?? policies.defaultDays;
  return days === 0 ? { kind: 'forever' } : { kind: 'cutoff', days, cutoff: cutoffFor(days, now) };
}

/** One organization's stored policy with the global default, as `readOrganizationPolicy` reads it. */
export interface OrganizationPolicy {
  organizationId: string;
  /** Its own override in days, or null to follow the default. */
  days: number | null;
  defaultDays: number;
  hold: { reason: string } | null;
}

/** {@link resolveRetention} for one organization whose policy was read alone (ingest reads one at a time). */
export function resolveOrganizationRetention(policy: OrganizationPolicy, now: Date): Retention {
  const organizations = new Map([[policy.organizationId, { days: policy.days, holdReason: policy.hold?.reason ?? null }]]);
  return resolveRetention({ defaultDays: policy.defaultDays, organizations }, policy.organizationId, now);
}

/**
 * Whether the purge removes an event created at `createdAt` under this retention: exactly the rows its
 * deletes remove (`"createdAt" < cutoff`). A hold or "forever" purges nothing. The planner and ingest's
 * refusal of events older than retention both ask this, so they cannot disagree.
 */
export function isPurged(retention: Retention, createdAt: Date): boolean {
  return retention.kind === 'cutoff' && createdAt.getTime() < retention.cutoff.getTime();
}

/**
 * Where a re-delivery asked to start at `from` starts once what the purge removes is left out: `from` itself,
 * or the cutoff when `from` lies before it (everything between was purged, by {@link isPurged}'s own rule).
 */
export function keptFrom(retention: Retention, from: Date): Date {
  return retention.kind === 'cutoff' && isPurged(retention, from) ? retention.cutoff : from;
}

/**
 * {@link isPurged} for a `createdAt` in canonical form (as `toISOString()` writes it, which every canonical
 * event's is): that text sorts as the instants it names (four-digit years), so a consumer that checks every
 * event compares it with the cutoff's text instead of parsing a date per event (0.4–0.7 µs each in a
 * micro-benchmark on a 2-core machine at load 26, against a stream's whole 12–17 µs; the text comparison 0.01–0.04). Held to {@link isPurged} by a property test.
 */
export function purgedCreatedAt(retention: Retention): (createdAt: string) => boolean {
  if (retention.kind !== 'cutoff') return () => false;
  const cutoff = retention.cutoff.toISOString();
  return (createdAt) => createdAt < cutoff;
}
