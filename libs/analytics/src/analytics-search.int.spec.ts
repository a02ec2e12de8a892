import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { ClickHouseEventsRepository, migrateClickHouse, toClickHouseRow, type ClickHouse } from '@audit/clickhouse';
import { ACTION_TYPES, type ActionType } from '@audit/contracts';
import { readSearch, type EventSearch } from '@audit/event-filter';
import { AuditEventsWriteRepository, type Database, SearchUsersRepository } from '@audit/persistence';
import { AppError } from '@audit/platform';
import { matches } from '@audit/search';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, makeSearchEvent, referenceSearchEvents, SEARCH_CORPUS, seededRandom, type ReferenceEvent } from '@audit/testing-pipeline';
import { AnalyticsService } from './analytics.service';
import { readAnalyticsConfig } from './config';
import type { AnalyticsWindow } from './query-params';

jest.setTimeout(180_000);
Logger.overrideLogger(['error']);

const ORG = 'acme_a';
const OTHER = 'globex_a';
const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;
// The data set's createdAt spans the 700 days before NOW.
const SPAN: AnalyticsWindow = { from: new Date(NOW.getTime() - 701 * DAY), to: new Date(NOW.getTime() + DAY) };

// ---- The reference: the in-memory evaluator over the events as Postgres holds them ----

interface Narrowing {
  search: EventSearch;
  actionTypes: ActionType[];
  pageName?: string;
}

/** The events of the window the narrowing keeps, evaluated here: the fixed filters by hand, the search by `matches`. */
function kept(events: readonly ReferenceEvent[], w: AnalyticsWindow, n: Narrowing): ReferenceEvent[] {
  return events.filter(
    (e) =>
      e.createdAt >= w.from.getTime() &&
      e.createdAt < w.to.getTime() &&
      (n.actionTypes.length === 0 || n.actionTypes.includes(e.actionType as ActionType)) &&
      (n.pageName === undefined || e.pageName === n.pageName) &&
      matches(n.search.node, e),
  );
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function expectedSummary(events: readonly ReferenceEvent[]) {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.actionType, (counts.get(e.actionType) ?? 0) + 1);
  return {
    total: events.length,
    distinctUsers: new Set(events.flatMap((e) => (e.userId === null ? [] : [e.userId]))).size,
    distinctIps: new Set(events.flatMap((e) => (e.ipAddress === null ? [] : [e.ipAddress]))).size,
    items: [...counts].map(([actionType, count]) => ({ actionType, count })).sort((a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType)),
  };
}

function expectedDailySeries(events: readonly ReferenceEvent[]) {
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = `${new Date(Math.floor(e.createdAt / DAY) * DAY).toISOString()}|${e.actionType}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, count]) => ({ bucket: key.split('|')[0], actionType: key.split('|')[1], count }))
    .sort((a, b) => byteOrder(a.bucket, b.bucket) || byteOrder(a.actionType, b.actionType));
}

function expectedTopUsers(events: readonly ReferenceEvent[]) {
  const counts = new Map<string, number>();
  for (const e of events) if (e.userId !== null) counts.set(e.userId, (counts.get(e.userId) ?? 0) + 1);
  return [...counts].map(([userId, count]) => ({ userId, count })).sort((a, b) => b.count - a.count || byteOrder(a.userId, b.userId));
}

/** ClickHouse's quantileExact: the element at floor(level × n) of the sorted values, no interpolation. */
const quantileExact = (sorted: number[], level: number): number => sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))];

function expectedResponseTimes(events: readonly ReferenceEvent[]) {
  const groups = new Map<string, number[]>();
  for (const e of events) if (e.pageName !== null && e.responseTimeMs !== null) groups.set(e.pageName, [...(groups.get(e.pageName) ?? []), e.responseTimeMs]);
  return [...groups]
    .map(([name, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { name, count: sorted.length, p50: quantileExact(sorted, 0.5), p95: quantileExact(sorted, 0.95), p99: quantileExact(sorted, 0.99), max: sorted[sorted.length - 1] };
    })
    .sort((a, b) => b.p95 - a.p95 || byteOrder(a.name, b.name));
}

/**
 * The analytics API's aggregates narrowed by a search, against the search's in-memory evaluator over the
 * same events: every endpoint, over the whole data set and over windows whose edges fall inside hours and
 * days (where, without a search, the rollups answer the whole spans), alone and with the fixed filters.
 */
describe('analytics narrowed by a search: ClickHouse against the reference evaluator (real Postgres, embedded chDB)', () => {
  let pg: MigratedTestDatabase;
  let ch: TestClickHouse;
  let db: Database;
  let analytics: AnalyticsService;
  let clickhouse: ClickHouse;
  let reference: ReferenceEvent[];

  beforeAll(async () => {
    pg = await createMigratedTestDatabase('analytics_search');
    db = pg.database;
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    clickhouse = { client, readClient: client, insertSettings: {}, mode: 'embedded' } as unknown as ClickHouse;
    analytics = new AnalyticsService(clickhouse, new SearchUsersRepository(db), readAnalyticsConfig({}));

    // Every event both in Postgres (the writer, which also keeps the users' rows) and in ClickHouse.
    const rnd = seededRandom(23);
    let clock = NOW.getTime() - 3_600_000;
    const events = [
      ...Array.from({ length: 500 }, () => makeSearchEvent(rnd, NOW, ORG, new Date((clock += 7)))),
      // Another organization with the same users, pages and texts: never counted.
      ...Array.from({ length: 60 }, () => makeSearchEvent(rnd, NOW, OTHER, new Date((clock += 7)))),
      // Ada's e-mail changes: Postgres' users row has the new one, ClickHouse's rows both.
      ...Array.from({ length: 20 }, () =>
        makeSearchEvent(rnd, NOW, ORG, new Date((clock += 7)), { userId: 'u-ada', user: { email: 'ada@example.com', userName: 'Ada Lovelace' } }),
      ),
    ];
    await new AuditEventsWriteRepository(db).writeBatch(events);
    await new ClickHouseEventsRepository(clickhouse).insertNew(events.map(toClickHouseRow));
    reference = await referenceSearchEvents(db, ORG);
  });

  afterAll(async () => {
    await pg?.close();
    await ch?.drop();
  });

  /** Every endpoint's answer for the narrowing, beside what the reference says it must be. */
  async function compare(w: AnalyticsWindow, n: Narrowing) {
    const events = kept(reference, w, n);
    const fixed = n.actionTypes.length === 0 && n.pageName === undefined;
    const series = JSON.parse(
      (await analytics.timeseriesBody(ORG, w, 'day', { actionTypes: n.actionTypes, pageName: n.pageName, search: n.search })).toString('utf8'),
    ) as { items: unknown[] };
    expect({ text: n.search.text, count: await analytics.count(ORG, w, { actionTypes: n.actionTypes, pageName: n.pageName, search: n.search }) }).toEqual({
      text: n.search.text,
      count: { count: events.length, approximate: false },
    });
    expect({ text: n.search.text, series: series.items }).toEqual({ text: n.search.text, series: expectedDailySeries(events) });
    if (n.pageName === undefined) {
      const top = await analytics.topUsers(ORG, w, n.actionTypes, 1000, n.search);
      expect({ text: n.search.text, top: top.map(({ userId, count }) => ({ userId, count })) }).toEqual({ text: n.search.text, top: expectedTopUsers(events) });
    }
    if (fixed) {
      expect({ text: n.search.text, summary: await analytics.summary(ORG, w, n.search) }).toEqual({ text: n.search.text, summary: expectedSummary(events) });
      expect({ text: n.search.text, rt: await analytics.responseTimes(ORG, w, 'pageName', 1000, n.search) }).toEqual({
        text: n.search.text,
        rt: expectedResponseTimes(events),
      });
    }
  }

  it('holds the data set in both stores', async () => {
    const [{ n }] = await ch.query<{ n: number }>('SELECT count() AS n FROM audit_events WHERE organizationId = {org:String}', { org: ORG });
    expect(n).toBe(520);
    expect(reference).toHaveLength(520);
  });

  it.each(SEARCH_CORPUS.map((q) => [q]))('%j over the whole data set: every endpoint counts what the evaluator keeps', async (text) => {
    await compare(SPAN, { search: readSearch(text, NOW), actionTypes: [] });
  });

  it('any search of the corpus, or two of them joined, over any window, with or without the fixed filters, counts what the evaluator keeps', async () => {
    const term = fc.constantFrom(...SEARCH_CORPUS.filter((q) => q !== ''));
    const text = fc.oneof(
      term,
      fc.tuple(term, fc.constantFrom(' ', ' OR ', ' -'), term).map(([a, op, b]) => `(${a})${op}(${b})`),
    );
    // Edges anywhere, to the millisecond: inside hours and days, where rollups would otherwise answer.
    const instant = fc.integer({ min: SPAN.from.getTime(), max: SPAN.to.getTime() });
    const window = fc.tuple(instant, instant).filter(([a, b]) => a !== b).map(([a, b]) => ({ from: new Date(Math.min(a, b)), to: new Date(Math.max(a, b)) }));
    const fixed = fc.record(
      { actionTypes: fc.subarray([...ACTION_TYPES], { maxLength: 6 }), pageName: fc.constantFrom('Sales', 'Admin', 'Revenue 100%') },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(text, window, fixed, async (t, w, f) => {
        await compare(w, { search: readSearch(t, NOW), actionTypes: f.actionTypes ?? [], pageName: f.pageName });
      }),
      { numRuns: 40 },
    );
  });

  it('stops a statement past SEARCH_MAX_ROWS with a 400 naming search (from without one) and advice, on every endpoint but the count', async () => {
    const bounded = new AnalyticsService(clickhouse, new SearchUsersRepository(db), readAnalyticsConfig({ SEARCH_MAX_ROWS: '10' }));
    const search = readSearch('sales', NOW);
    const refusal = (field: string) => ({ typed: true, code: 'BAD_REQUEST', message: expect.stringMatching(/more than 10 events \(SEARCH_MAX_ROWS\): narrow the window/), field });
    const refused = (read: Promise<unknown>): Promise<unknown> =>
      read.then(
        () => 'answered',
        (error: unknown) => ({ typed: error instanceof AppError, code: (error as AppError).code, message: (error as Error).message, field: ((error as AppError).details as Array<{ path: string }> | undefined)?.[0]?.path }),
      );
    expect(await refused(bounded.timeseriesBody(ORG, SPAN, 'day', { actionTypes: [], search }))).toEqual(refusal('search'));
    expect(await refused(bounded.topUsers(ORG, SPAN, [], 10, search))).toEqual(refusal('search'));
    expect(await refused(bounded.responseTimes(ORG, SPAN, 'pageName', 10, search))).toEqual(refusal('search'));
    expect(await refused(bounded.summary(ORG, SPAN, search))).toEqual(refusal('search'));
    // Response times read the events whether searched or not: without a search the window is what to narrow.
    expect(await refused(bounded.responseTimes(ORG, SPAN, 'pageName', 10))).toEqual(refusal('from'));
    // The count has its own budget (time, a lower bound marked approximate), not this one.
    expect(await bounded.count(ORG, SPAN, { actionTypes: [], search })).toEqual({ count: kept(reference, SPAN, { search, actionTypes: [] }).length, approximate: false });
    // The same reads within the bound answer as before.
    expect(await analytics.responseTimes(ORG, SPAN, 'pageName', 10)).toEqual(expectedResponseTimes(kept(reference, SPAN, { search: readSearch('', NOW), actionTypes: [] })).slice(0, 10));
  });
});
