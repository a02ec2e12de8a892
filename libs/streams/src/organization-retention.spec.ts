import fc from 'fast-check';
import { planRetention, purgedCreatedAt, type PolicySet } from '@audit/retention';
import { OrganizationRetention } from './organization-retention';

const DAY = 86_400_000;
const ORGANIZATIONS = ['acme', 'globex', 'initech'] as const;

/** Policies of a few organizations: each its own days (or the default), possibly held, possibly absent. */
const policySet: fc.Arbitrary<PolicySet> = fc
  .record({
    defaultDays: fc.integer({ min: 0, max: 30 }),
    own: fc.array(
      fc.record({
        organizationId: fc.constantFrom(...ORGANIZATIONS),
        days: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
        holdReason: fc.option(fc.constant('litigation'), { nil: null }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ defaultDays, own }) => ({ defaultDays, organizations: new Map(own.map((o) => [o.organizationId, { days: o.days, holdReason: o.holdReason }])) }));

describe('OrganizationRetention: what a stream skips is what the purge removes', () => {
  it('skips an event of the bus exactly when the purge at the same instant would delete its row', () => {
    fc.assert(
      fc.property(
        policySet,
        fc.constantFrom(...ORGANIZATIONS),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }),
        fc.integer({ min: -40 * DAY, max: 5 * 60_000 }),
        (policies, organizationId, nowMs, ageMs) => {
          const now = new Date(nowMs);
          const createdAt = new Date(nowMs + ageMs);
          const retention = new OrganizationRetention();
          retention.replace(policies);
          const skipped = purgedCreatedAt(retention.of(organizationId, now))(createdAt.toISOString());
          // The row as it would sit in the default partition (deleted per organization, never dropped whole).
          const plan = planRetention(policies, [{ store: 'postgres', partitions: [{ name: 'audit_trail_events_default', range: null, organizations: [{ organizationId, oldest: createdAt }] }] }], now);
          const deleted = plan.steps.some((step) => step.action === 'delete' && step.organizationId === organizationId && createdAt.getTime() < step.cutoff.getTime());
          expect(skipped).toBe(deleted);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('answers by the policies last read, and refuses to answer before any were read', () => {
    const retention = new OrganizationRetention();
    const now = new Date('2026-12-07T12:00:00Z');
    expect(() => retention.of('acme', now)).toThrow(/not been read/);
    retention.replace({ defaultDays: 365, organizations: new Map([['acme', { days: 7, holdReason: null }]]) });
    expect(retention.of('acme', now)).toEqual({ kind: 'cutoff', days: 7, cutoff: new Date(now.getTime() - 7 * DAY) });
    expect(retention.of('globex', now)).toEqual({ kind: 'cutoff', days: 365, cutoff: new Date(now.getTime() - 365 * DAY) });
    retention.replace({ defaultDays: 365, organizations: new Map([['acme', { days: 7, holdReason: 'litigation' }]]) });
    expect(retention.of('acme', now)).toEqual({ kind: 'hold', reason: 'litigation' });
  });
});
