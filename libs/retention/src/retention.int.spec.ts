import type { TestingModule } from '@nestjs/testing';
import { ClickHouseEventsRepository, ClickHouseModule } from '@audit/clickhouse';
import { monthStart, PartitionManager, PersistenceModule, RetentionPoliciesRepository, RetentionRunsRepository } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { bootModules, createTestDatabase, ROLLUP_CHECKS, testClickHouseEnv, type TestClickHouse, type TestDatabase } from '@audit/testing';
import { insertSeedEvents, seedEvent, seedProjectionRow, type SeedEvent } from '@audit/testing-pipeline';
import { cutoffFor } from './policy';
import { RetentionRunnerModule } from './retention.module';
import { PostgresRetentionStore } from './postgres-retention.store';
import { RetentionRunner, type RetentionRunReport } from './retention.runner';

const DAY = 86_400_000;
const NOW = new Date();
const ago = (days: number, ms = 0): Date => new Date(NOW.getTime() - days * DAY + ms);

/**
 * Retention against real Postgres and embedded ClickHouse: one data set with every kind of policy, a
 * legal hold, rows on both sides of each cutoff to the millisecond, whole months that can be dropped
 * and months shared with organizations that keep longer.
 */
// Runs purge two stores; a loaded CI machine takes seconds per run.
jest.setTimeout(60_000);

describe('retention run (Postgres and ClickHouse)', () => {
  let db: TestDatabase;
  let ch: TestClickHouse;
  let app: TestingModule;
  let runner: RetentionRunner;
  const events: SeedEvent[] = [];

  // AUDIT_RETENTION_DAYS=30 is the default for every organization without an override.
  const policy = { short: 10, long: 400, forever: 0, held: 1 } as const;
  const expectedKept = (e: SeedEvent): boolean => {
    if (e.organizationId === 'held') return true;
    const days = policy[e.organizationId as keyof typeof policy] ?? 30;
    return days === 0 || e.createdAt.getTime() >= cutoffFor(days, NOW).getTime();
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention');
    ch = testClickHouseEnv('audit_retention');
    app = await bootModules([PlatformModule, PersistenceModule, ClickHouseModule, RetentionRunnerModule], {
      DATABASE_URL: db.url,
      ...ch.env,
      AUDIT_RETENTION_DAYS: '30',
      RETENTION_BATCH_SIZE: '100',
    });
    runner = app.get(RetentionRunner);
    const policies = app.get(RetentionPoliciesRepository);
    await policies.setDays('short', policy.short);
    await policies.setDays('long', policy.long);
    await policies.setDays('forever', policy.forever);
    await policies.setDays('held', policy.held);
    await policies.hold('held', 'litigation 2026-17', 'counsel@example.com');

    // Boundaries to the millisecond for the default policy (30 days) and for an override (10 days).
    for (const [org, days] of [['edge', 30], ['short', 10]] as const) {
      for (const offset of [-1, 0, 1]) events.push(seedEvent(org, new Date(cutoffFor(days, NOW).getTime() + offset), 'QUERY_RUN', 100 + offset));
    }
    // Whole old months holding only organizations that may lose them: dropped whole in both stores.
    for (let i = 0; i < 50; i++) events.push(seedEvent(i % 2 ? 'edge' : 'short', ago(200, i * 60_000), i % 3 ? 'LOGIN' : 'LOGOUT', i));
    // A month shared with organizations that keep longer or are held: per-organization deletes.
    for (let i = 0; i < 20; i++) {
      events.push(seedEvent('edge', ago(100, i * 1_000)), seedEvent('long', ago(100, i * 1_000)), seedEvent('held', ago(100, i * 1_000)));
    }
    events.push(seedEvent('long', ago(401)), seedEvent('long', ago(399)), seedEvent('forever', ago(1000)), seedEvent('held', ago(500)), seedEvent('held', ago(2)));
    for (let i = 0; i < 10; i++) events.push(seedEvent(['edge', 'short', 'long', 'forever', 'held'][i % 5], ago(1, i * 1_000)));

    // Monthly partitions for every month but the oldest ones, whose rows sit in the default partition.
    const partitions = app.get(PartitionManager);
    for (const e of events) if (e.createdAt.getTime() > ago(390).getTime()) await partitions.ensureMonth(monthStart(e.createdAt));
    await insertSeedEvents((sql, params) => db.query(sql, params), events);
    await app.get(ClickHouseEventsRepository).insertNew(events.map(seedProjectionRow));
  });

  afterAll(async () => {
    await app?.close();
    await ch?.drop();
    await db?.drop();
  });

  const postgresIds = async (): Promise<string[]> => (await db.query<{ id: string }>('SELECT id FROM audit_trail_events ORDER BY id')).map((r) => r.id);
  const clickhouseIds = async (): Promise<string[]> => (await ch.query<{ id: string }>('SELECT toString(id) AS id FROM audit_events ORDER BY id')).map((r) => r.id);
  const ids = (list: SeedEvent[]): string[] => list.map((e) => e.id).sort();
  const sum = (report: RetentionRunReport, store: string): number => report.outcomes.filter((o) => o.store === store).reduce((n, o) => n + o.rows, 0);

  it('a dry run reports exactly what would go, per organization and store, and deletes nothing', async () => {
    const before = { pg: await postgresIds(), ch: await clickhouseIds() };
    expect(before.pg).toEqual(ids(events));
    expect(before.ch).toEqual(ids(events));
    const report = await runner.run({ dryRun: true, now: NOW });
    const going = events.filter((e) => !expectedKept(e));
    expect(report.ok).toBe(true);
    expect(sum(report, 'postgres')).toBe(going.length);
    expect(sum(report, 'clickhouse')).toBe(going.length);
    for (const org of ['edge', 'short', 'long']) {
      const rowsOf = (store: string) => report.outcomes.filter((o) => o.store === store && o.organizationId === org).reduce((n, o) => n + o.rows, 0);
      expect(rowsOf('postgres')).toBe(going.filter((e) => e.organizationId === org).length);
      expect(rowsOf('clickhouse')).toBe(going.filter((e) => e.organizationId === org).length);
    }
    expect(report.kept).toEqual(expect.arrayContaining([{ store: 'postgres', organizationId: 'held', reason: 'hold' }, { store: 'clickhouse', organizationId: 'forever', reason: 'forever' }]));
    expect(await postgresIds()).toEqual(before.pg);
    expect(await clickhouseIds()).toEqual(before.ch);
    const recorded = await app.get(RetentionRunsRepository).byRun(report.runId);
    expect(recorded.length).toBe(report.outcomes.length);
    expect(recorded.every((r) => r.dryRun)).toBe(true);
  });

  it('removes exactly what each policy says, keeps the held organization whole, and records every step', async () => {
    const report = await runner.run({ now: NOW });
    expect(report.ok).toBe(true);
    const kept = events.filter(expectedKept);
    expect(await postgresIds()).toEqual(ids(kept));
    expect(await clickhouseIds()).toEqual(ids(kept));

    // Both ways of removing were used in both stores.
    const kinds = new Set(report.outcomes.map((o) => `${o.store}:${o.action}`));
    expect(kinds).toEqual(new Set(['postgres:partition_drop', 'postgres:delete', 'clickhouse:partition_drop', 'clickhouse:delete']));
    expect(report.outcomes.some((o) => o.partition === 'audit_trail_events_default' && o.organizationId === 'long' && o.rows === 1)).toBe(true);
    const dropped = monthStart(ago(200));
    const stillThere = await db.query('SELECT to_regclass($1) AS t', [`audit_trail_events_y${dropped.getUTCFullYear()}m${String(dropped.getUTCMonth() + 1).padStart(2, '0')}`]);
    expect(stillThere[0]).toEqual({ t: null });

    const recorded = await app.get(RetentionRunsRepository).byRun(report.runId);
    expect(recorded.map((r) => [r.store, r.action, r.organizationId, r.rows, r.ok, r.dryRun])).toEqual(
      report.outcomes.map((o) => [o.store, o.action, o.organizationId, o.rows, true, false]),
    );
    expect((await app.get(RetentionRunsRepository).lastSuccessAt())?.getTime()).toBeGreaterThanOrEqual(report.startedAt.getTime());
  });

  it('keeps events at the cutoff and 1 ms after it, removes the one 1 ms before, in both stores', async () => {
    for (const [org, days] of [['edge', 30], ['short', 10]] as const) {
      const cutoff = cutoffFor(days, NOW);
      const window = [new Date(cutoff.getTime() - 1), new Date(cutoff.getTime() + 1)];
      const pg = await db.query<{ t: Date }>(
        `SELECT "createdAt" AS t FROM audit_trail_events WHERE "organizationId" = $1 AND "createdAt" BETWEEN $2 AND $3 ORDER BY 1`,
        [org, ...window],
      );
      expect(pg.map((r) => r.t.getTime())).toEqual([cutoff.getTime(), cutoff.getTime() + 1]);
      const chRows = await ch.query<{ t: string }>(
        `SELECT toString(createdAt) AS t FROM audit_events WHERE organizationId = {org:String}
         AND createdAt BETWEEN {from:DateTime64(3, 'UTC')} AND {to:DateTime64(3, 'UTC')} ORDER BY createdAt`,
        { org, from: window[0].toISOString().replace('T', ' ').replace('Z', ''), to: window[1].toISOString().replace('T', ' ').replace('Z', '') },
      );
      expect(chRows.map((r) => new Date(`${r.t.replace(' ', 'T')}Z`).getTime())).toEqual([cutoff.getTime(), cutoff.getTime() + 1]);
    }
  });

  it.each(Object.entries(ROLLUP_CHECKS))('leaves the %s rollup equal to a direct aggregate of the events kept', async (_name, check) => {
    const direct = await ch.query(check.events);
    expect(direct.length).toBeGreaterThan(10);
    expect(await ch.query(check.rollup)).toEqual(direct);
  });

  it('a second run finds nothing left to do', async () => {
    const report = await runner.run({ now: NOW });
    expect(report.ok).toBe(true);
    expect(report.outcomes).toEqual([]);
  });

  it('keeps the rows of an organization put on hold between the plan and the drop of its partition', async () => {
    const month = new Date(Date.UTC(2001, 0, 1));
    await app.get(PartitionManager).ensureMonth(month);
    const late = [seedEvent('late-hold', new Date(Date.UTC(2001, 0, 5))), seedEvent('late-hold', new Date(Date.UTC(2001, 0, 6))), seedEvent('edge', new Date(Date.UTC(2001, 0, 7)))];
    await insertSeedEvents((sql, params) => db.query(sql, params), late);
    const step = { action: 'partition_drop' as const, store: 'postgres' as const, partition: 'audit_trail_events_y2001m01', range: { from: month, to: new Date(Date.UTC(2001, 1, 1)) }, organizations: ['edge', 'late-hold'] };
    // As if 'late-hold' were placed on hold after planning: only 'edge' may still lose the month.
    const gone = await app.get(PostgresRetentionStore).dropPartition(step, async () => new Set(['edge']));
    expect([...gone.rows]).toEqual([['edge', 1]]);
    expect(await db.query('SELECT to_regclass($1) AS t', [step.partition])).toEqual([{ t: null }]);
    const kept = await db.query<{ id: string }>(`SELECT id FROM audit_trail_events_default WHERE "organizationId" = 'late-hold' ORDER BY id`);
    expect(kept.map((r) => r.id)).toEqual(ids(late.slice(0, 2)));
  });
});
