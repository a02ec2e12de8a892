import fc from 'fast-check';
import { planRetention, type PartitionInventory, type StoreInventory } from './planner';
import { cutoffFor, isPurged, keptFrom, purgedCreatedAt, resolveOrganizationRetention, resolveRetention, type PolicySet } from './policy';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const DAY = 86_400_000;

const policies = (defaultDays: number, orgs: Record<string, { days?: number | null; hold?: string }> = {}): PolicySet => ({
  defaultDays,
  organizations: new Map(Object.entries(orgs).map(([id, p]) => [id, { days: p.days ?? null, holdReason: p.hold ?? null }])),
});

const month = (year: number, month1: number, orgs: Record<string, string>, store: StoreInventory['store'] = 'postgres'): PartitionInventory => ({
  name: store === 'postgres' ? `audit_trail_events_y${year}m${String(month1).padStart(2, '0')}` : `${year}${String(month1).padStart(2, '0')}`,
  range: { from: new Date(Date.UTC(year, month1 - 1, 1)), to: new Date(Date.UTC(year, month1, 1)) },
  organizations: Object.entries(orgs).map(([organizationId, oldest]) => ({ organizationId, oldest: new Date(oldest) })),
});

const inventory = (...partitions: PartitionInventory[]): StoreInventory[] => [{ store: 'postgres', partitions }];

describe('resolveRetention', () => {
  it('puts a hold before any override, an override before the default, and 0 means forever', () => {
    const set = policies(365, { held: { days: 1, hold: 'litigation' }, short: { days: 30 }, forever: { days: 0 }, back: { days: null } });
    expect(resolveRetention(set, 'held', NOW)).toEqual({ kind: 'hold', reason: 'litigation' });
    expect(resolveRetention(set, 'short', NOW)).toEqual({ kind: 'cutoff', days: 30, cutoff: new Date(NOW.getTime() - 30 * DAY) });
    expect(resolveRetention(set, 'forever', NOW)).toEqual({ kind: 'forever' });
    expect(resolveRetention(set, 'back', NOW)).toEqual({ kind: 'cutoff', days: 365, cutoff: cutoffFor(365, NOW) });
    expect(resolveRetention(set, 'unknown', NOW)).toEqual({ kind: 'cutoff', days: 365, cutoff: cutoffFor(365, NOW) });
    expect(resolveRetention(policies(0), 'unknown', NOW)).toEqual({ kind: 'forever' });
  });
});

describe('planRetention', () => {
  it('drops a month only when its whole range is before every present organization\'s cutoff', () => {
    // 30 days before NOW is 2026-10-30T12:00Z: September ends before it, October does not.
    const plan = planRetention(
      policies(30),
      inventory(month(2026, 9, { a: '2026-09-01T00:00:00Z', b: '2026-09-10T00:00:00Z' }), month(2026, 10, { a: '2026-10-01T00:00:00Z' })),
      NOW,
    );
    expect(plan.steps).toEqual([
      expect.objectContaining({ action: 'partition_drop', partition: 'audit_trail_events_y2026m09', organizations: ['a', 'b'] }),
      { action: 'delete', store: 'postgres', partition: 'audit_trail_events_y2026m10', organizationId: 'a', cutoff: new Date('2026-10-30T12:00:00.000Z') },
    ]);
  });

  it('drops a month that ends exactly at the cutoff (its rows are all strictly older)', () => {
    const now = new Date(Date.UTC(2026, 10, 30)); // cutoff of 30 days = 2026-10-01T00:00Z = end of September
    const plan = planRetention(policies(30), inventory(month(2026, 9, { a: '2026-09-30T23:59:59.999Z' })), now);
    expect(plan.steps.map((s) => s.action)).toEqual(['partition_drop']);
  });

  it('deletes per organization where one organization in the month keeps longer, and keeps forever and held ones', () => {
    const set = policies(30, { long: { days: 400 }, forever: { days: 0 }, held: { days: 1, hold: 'subpoena' } });
    const plan = planRetention(
      set,
      inventory(
        month(2026, 3, { short: '2026-03-02T00:00:00Z', long: '2026-03-05T00:00:00Z' }),
        month(2026, 4, { short: '2026-04-01T00:00:00Z', forever: '2026-04-02T00:00:00Z' }),
        month(2026, 5, { short: '2026-05-01T00:00:00Z', held: '2026-05-02T00:00:00Z' }),
      ),
      NOW,
    );
    expect(plan.steps).toEqual([
      { action: 'delete', store: 'postgres', partition: 'audit_trail_events_y2026m03', organizationId: 'short', cutoff: cutoffFor(30, NOW) },
      { action: 'delete', store: 'postgres', partition: 'audit_trail_events_y2026m04', organizationId: 'short', cutoff: cutoffFor(30, NOW) },
      { action: 'delete', store: 'postgres', partition: 'audit_trail_events_y2026m05', organizationId: 'short', cutoff: cutoffFor(30, NOW) },
    ]);
    expect(plan.kept).toEqual([
      { store: 'postgres', organizationId: 'forever', reason: 'forever' },
      { store: 'postgres', organizationId: 'held', reason: 'hold' },
    ]);
  });

  it('never drops the default partition and deletes there per organization whose oldest row is before its cutoff', () => {
    const defaultPartition: PartitionInventory = {
      name: 'audit_trail_events_default',
      range: null,
      organizations: [
        { organizationId: 'old', oldest: new Date('2020-01-01T00:00:00Z') },
        { organizationId: 'fresh', oldest: new Date(NOW.getTime() - DAY) },
      ],
    };
    const plan = planRetention(policies(30), inventory(defaultPartition), NOW);
    expect(plan.steps).toEqual([{ action: 'delete', store: 'postgres', partition: 'audit_trail_events_default', organizationId: 'old', cutoff: cutoffFor(30, NOW) }]);
  });

  it('plans nothing for an organization whose oldest row is exactly at its cutoff', () => {
    const cutoff = cutoffFor(30, NOW);
    const plan = planRetention(policies(30), inventory(month(2026, 10, { edge: cutoff.toISOString() })), NOW);
    expect(plan.steps).toEqual([]);
    const oneMsOlder = planRetention(policies(30), inventory(month(2026, 10, { edge: new Date(cutoff.getTime() - 1).toISOString() })), NOW);
    expect(oneMsOlder.steps).toHaveLength(1);
  });

  it('leaves empty partitions and recent months alone, and plans each store on its own inventory', () => {
    const empty: PartitionInventory = { ...month(2020, 1, {}), organizations: [] };
    const plan = planRetention(
      policies(30),
      [
        { store: 'postgres', partitions: [empty, month(2026, 11, { a: '2026-11-01T00:00:00Z' })] },
        { store: 'clickhouse', partitions: [month(2026, 9, { a: '2026-09-01T00:00:00Z' }, 'clickhouse')] },
      ],
      NOW,
    );
    expect(plan.steps).toEqual([expect.objectContaining({ action: 'partition_drop', store: 'clickhouse', partition: '202609', organizations: ['a'] })]);
  });

  it('keeps everything when the default is forever and nobody overrides it', () => {
    const plan = planRetention(policies(0), inventory(month(2001, 1, { a: '2001-01-01T00:00:00Z' })), NOW);
    expect(plan.steps).toEqual([]);
    expect(plan.kept).toEqual([{ store: 'postgres', organizationId: 'a', reason: 'forever' }]);
  });
});

/**
 * Ingest refuses an event exactly when the purge would remove it (issue 14, item 3): both ask `isPurged`.
 * This ties that question to what the planner really does with a row, whatever the policy and the date.
 */
describe('isPurged: the rule ingest refuses by is the planner\'s', () => {
  const policy = fc.record({
    days: fc.option(fc.integer({ min: 0, max: 800 }), { nil: null }),
    defaultDays: fc.integer({ min: 0, max: 800 }),
    hold: fc.option(fc.constant({ reason: 'litigation' }), { nil: null }),
  });

  it('says "purged" for a row exactly when the plan drops its partition or deletes it', () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: -900 * DAY, max: DAY }), fc.boolean(), (p, offsetMs, inMonthPartition) => {
        const createdAt = new Date(NOW.getTime() + offsetMs);
        const set = policies(p.defaultDays, { acme: { days: p.days, hold: p.hold?.reason } });
        const from = new Date(Date.UTC(createdAt.getUTCFullYear(), createdAt.getUTCMonth(), 1));
        const partition: PartitionInventory = {
          name: inMonthPartition ? 'audit_trail_events_y0000m00' : 'audit_trail_events_default',
          range: inMonthPartition ? { from, to: new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) } : null,
          organizations: [{ organizationId: 'acme', oldest: createdAt }],
        };
        const plan = planRetention(set, inventory(partition), NOW);
        const removed = plan.steps.some((step) =>
          step.action === 'partition_drop' ? true : step.organizationId === 'acme' && createdAt.getTime() < step.cutoff.getTime(),
        );
        const retention = resolveOrganizationRetention({ organizationId: 'acme', ...p }, NOW);
        expect(retention).toEqual(resolveRetention(set, 'acme', NOW));
        expect(isPurged(retention, createdAt)).toBe(removed);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps an event exactly at the cutoff and refuses one a millisecond older; a hold or 0 days purges nothing', () => {
    const retention = resolveOrganizationRetention({ organizationId: 'acme', days: 30, defaultDays: 365, hold: null }, NOW);
    const cutoff = cutoffFor(30, NOW);
    expect(isPurged(retention, cutoff)).toBe(false);
    expect(isPurged(retention, new Date(cutoff.getTime() - 1))).toBe(true);
    const old = new Date('1970-01-01T00:00:00Z');
    expect(isPurged(resolveOrganizationRetention({ organizationId: 'acme', days: 30, defaultDays: 365, hold: { reason: 'litigation' } }, NOW), old)).toBe(false);
    expect(isPurged(resolveOrganizationRetention({ organizationId: 'acme', days: 0, defaultDays: 365, hold: null }, NOW), old)).toBe(false);
    expect(isPurged(resolveOrganizationRetention({ organizationId: 'acme', days: null, defaultDays: 0, hold: null }, NOW), old)).toBe(false);
  });
});

/** A stream's replay from a time before retention's cutoff starts at the cutoff: what it then covers is exactly what the purge keeps. */
describe('keptFrom: where a re-delivery starts', () => {
  const policy = fc.record({
    days: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
    defaultDays: fc.integer({ min: 0, max: 30 }),
    hold: fc.option(fc.constant({ reason: 'litigation' }), { nil: null }),
  });
  const instant = fc.integer({ min: -40 * DAY, max: DAY }).map((offsetMs) => new Date(NOW.getTime() + offsetMs));

  it('covers, from its start on, exactly the instants after `from` that the purge keeps', () => {
    fc.assert(
      fc.property(policy, instant, instant, (p, from, createdAt) => {
        const retention = resolveOrganizationRetention({ organizationId: 'acme', ...p }, NOW);
        const start = keptFrom(retention, from);
        expect(start.getTime()).toBeGreaterThanOrEqual(from.getTime());
        expect(createdAt.getTime() >= start.getTime()).toBe(createdAt.getTime() >= from.getTime() && !isPurged(retention, createdAt));
      }),
      { numRuns: 5_000 },
    );
  });

  it('moves a start before the cutoff to the cutoff, keeps one at or after it, and never moves one under a hold or "forever"', () => {
    const retention = resolveOrganizationRetention({ organizationId: 'acme', days: 7, defaultDays: 365, hold: null }, NOW);
    const cutoff = cutoffFor(7, NOW);
    expect(keptFrom(retention, new Date(cutoff.getTime() - 30 * DAY))).toEqual(cutoff);
    expect(keptFrom(retention, new Date(cutoff.getTime() - 1))).toEqual(cutoff);
    expect(keptFrom(retention, cutoff)).toEqual(cutoff);
    expect(keptFrom(retention, new Date(cutoff.getTime() + 1))).toEqual(new Date(cutoff.getTime() + 1));
    const old = new Date('1970-01-01T00:00:00Z');
    expect(keptFrom(resolveOrganizationRetention({ organizationId: 'acme', days: 7, defaultDays: 365, hold: { reason: 'litigation' } }, NOW), old)).toBe(old);
    expect(keptFrom(resolveOrganizationRetention({ organizationId: 'acme', days: 0, defaultDays: 365, hold: null }, NOW), old)).toBe(old);
  });
});

describe("purgedCreatedAt: isPurged on an event's canonical createdAt text", () => {
  const policy = fc.record({
    days: fc.option(fc.integer({ min: 0, max: 36_500 }), { nil: null }),
    defaultDays: fc.integer({ min: 0, max: 36_500 }),
    hold: fc.option(fc.constant({ reason: 'litigation' }), { nil: null }),
  });
  // Every createdAt a canonical event may carry (1970 on), and clocks from now to far ahead.
  const createdAt = fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }).map((ms) => new Date(ms));
  const now = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) }).map((ms) => new Date(ms));

  it('says "purged" exactly when isPurged does, near the cutoff as far from it', () => {
    fc.assert(
      fc.property(policy, now, createdAt, fc.integer({ min: -1_000, max: 1_000 }), fc.boolean(), (p, at, anywhere, nearMs, near) => {
        const retention = resolveOrganizationRetention({ organizationId: 'acme', ...p }, at);
        const event = near && retention.kind === 'cutoff' ? new Date(retention.cutoff.getTime() + nearMs) : anywhere;
        expect(purgedCreatedAt(retention)(event.toISOString())).toBe(isPurged(retention, event));
      }),
      { numRuns: 5_000 },
    );
  });
});
