import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { ClickHouseEventsRepository, migrateClickHouse, toClickHouseRow, toClickHouseTime, type ClickHouse } from '@audit/clickhouse';
import type { ActionType, AuditEvent } from '@audit/contracts';
import { type Database, SearchUsersRepository } from '@audit/persistence';
import { ROLLUP_CHECKS, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, sampleEvent } from '@audit/testing-pipeline';
import { AnalyticsService } from './analytics.service';
import { readAnalyticsConfig } from './config';
import type { AnalyticsWindow } from './query-params';

jest.setTimeout(180_000);
Logger.overrideLogger(['error']);

const ORG = 'acme';
const OTHER = 'globex';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Three days across a month's end (two partitions), the events at any millisecond of them.
const START = Date.UTC(2026, 10, 29, 0, 0, 0);
const END = START + 3 * DAY;
const TYPES: ActionType[] = ['QUERY_RUN', 'QUERY_RUN', 'PAGE_VIEW', 'LOGIN', 'CREATE_RESOURCE', 'LOGOUT'];

/**
 * The summary reads three parts of a window (whole days from the daily per-user rollup, whole hours of the
 * partial days from the hourly summary rollup, partial hours from the events): over any window its answer
 * must be what one aggregate of the events themselves says.
 */
describe('analytics summary: rollups and events combined equal a direct aggregate of the events (embedded chDB)', () => {
  let pg: MigratedTestDatabase;
  let ch: TestClickHouse;
  let db: Database;
  let analytics: AnalyticsService;

  beforeAll(async () => {
    pg = await createMigratedTestDatabase('analytics_summary');
    db = pg.database;
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    const clickhouse = { client, readClient: client, insertSettings: {}, mode: 'embedded' } as unknown as ClickHouse;
    analytics = new AnalyticsService(clickhouse, new SearchUsersRepository(db), readAnalyticsConfig({}));

    const random = fc.sample(fc.integer({ min: 0, max: 2 ** 31 }), { numRuns: 4000, seed: 18 });
    const events: AuditEvent[] = Array.from({ length: 1000 }, (_, i) => {
      const r = random[i * 4];
      const user = r % 9 === 0 ? null : `u${r % 7}`;
      return sampleEvent(i + 1, {
        organizationId: i % 5 === 4 ? OTHER : ORG,
        actionType: TYPES[random[i * 4 + 1] % TYPES.length],
        userId: user,
        user: user ? { email: `${user}@example.com`, userName: user } : null,
        ipAddress: r % 11 === 0 ? null : r % 3 === 0 ? `2001:db8::${(r % 17).toString(16)}` : `198.51.100.${random[i * 4 + 2] % 60}`,
        createdAt: new Date(START + (random[i * 4 + 3] % (END - START))).toISOString(),
      });
    });
    const repo = new ClickHouseEventsRepository(clickhouse);
    // In several batches (several parts of each rollup), one of them delivered twice: counted once.
    for (let i = 0; i < events.length; i += 250) await repo.insertNew(events.slice(i, i + 250).map(toClickHouseRow));
    expect(await repo.insertNew(events.slice(250, 500).map(toClickHouseRow))).toBe(0);
  });

  afterAll(async () => {
    await pg?.close();
    await ch?.drop();
  });

  /** The summary as one aggregate of the organization's events in the window. */
  async function direct(w: AnalyticsWindow) {
    const params = { org: ORG, from: toClickHouseTime(w.from), to: toClickHouseTime(w.to) };
    const where = "organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}";
    const types = await ch.query<{ actionType: string; count: number }>(`SELECT actionType, count() AS count FROM audit_events FINAL WHERE ${where} GROUP BY actionType`, params);
    const [distinct] = await ch.query<{ users: number; ips: number }>(
      `SELECT uniqExactIf(userId, ifNull(userId, '') != '') AS users, uniqExact(ipAddress) AS ips FROM audit_events FINAL WHERE ${where}`,
      params,
    );
    const items = types.map((t) => ({ actionType: t.actionType, count: Number(t.count) })).sort((a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType));
    return { total: items.reduce((sum, i) => sum + i.count, 0), distinctUsers: Number(distinct.users), distinctIps: Number(distinct.ips), items };
  }

  it('the hourly summary rollup equals its direct aggregate of the events', async () => {
    expect(await ch.query(ROLLUP_CHECKS.hourlySummary.rollup)).toEqual(await ch.query(ROLLUP_CHECKS.hourlySummary.events));
  });

  it.each([
    ['everything', { from: START - DAY, to: END + DAY }],
    ['a whole day, partial days each side, unaligned', { from: START + 5 * HOUR + 17_123, to: START + 2 * DAY + 7 * HOUR + 59_999 }],
    ['no whole day, across midnight', { from: START + 20 * HOUR + 1, to: START + DAY + 3 * HOUR - 1 }],
    ['inside one hour', { from: START + 30 * HOUR + 60_000, to: START + 30 * HOUR + 50 * 60_000 }],
    ['hour-aligned, no whole day', { from: START + 2 * HOUR, to: START + 23 * HOUR }],
    ['day-aligned', { from: START + DAY, to: START + 2 * DAY }],
    ['empty', { from: START + 7 * HOUR, to: START + 7 * HOUR }],
  ])('%s', async (_name, w) => {
    const window = { from: new Date(w.from), to: new Date(w.to) };
    const answer = await analytics.summary(ORG, window);
    expect(answer).toEqual(await direct(window));
  });

  it('any window, its edges anywhere or on hours and days, answers as the direct aggregate', async () => {
    const instant = fc.oneof(
      fc.integer({ min: START - HOUR, max: END + HOUR }),
      fc.integer({ min: -2, max: 3 * 24 + 2 }).map((h) => START + h * HOUR),
      fc.integer({ min: 0, max: 3 }).map((d) => START + d * DAY),
    );
    const window = fc.tuple(instant, instant).map(([a, b]) => ({ from: new Date(Math.min(a, b)), to: new Date(Math.max(a, b)) }));
    await fc.assert(
      fc.asyncProperty(window, async (w) => {
        expect(await analytics.summary(ORG, w)).toEqual(await direct(w));
      }),
      { numRuns: 60 },
    );
  });
});
