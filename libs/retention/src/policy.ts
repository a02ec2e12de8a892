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
