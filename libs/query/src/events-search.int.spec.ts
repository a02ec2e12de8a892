import { Logger } from '@nestjs/common';
import { ClickHouseEventsRepository, ProjectionProgress, toClickHouseRow, toClickHouseTime, type ClickHouse } from '@audit/clickhouse';
import { migrateClickHouse } from '@audit/clickhouse';
import type { AuditEvent } from '@audit/contracts';
import { AuditEventsWriteRepository, type Database, SearchUsersRepository } from '@audit/persistence';
import { AppError } from '@audit/platform';
import { matches } from '@audit/search';
import { allPages, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, makeSearchEvent, referenceSearchEvents, SEARCH_CORPUS, seededRandom } from '@audit/testing-pipeline';
import { readQueryConfig, type QueryConfig } from './config';
import type { Cursor } from '@audit/event-filter';
import { eventFilterNode, eventFilterSql, readSearch, type EventFilter } from '@audit/event-filter';
import { EventsReadRepository } from './events-read.repository';
import { EventsSearch } from './events-search';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

const ORG = 'acme_s';
const OTHER = 'globex_s';
const NOW = new Date('2026-06-15T12:00:00.000Z');
const MARGIN_MS = 60_000;

/** What the reference evaluator says a filter holds, newest first. */
async function expectedIds(db: Database, filter: EventFilter): Promise<string[]> {
  const node = eventFilterNode(filter);
  return (await referenceSearchEvents(db, ORG))
    .filter((e) => matches(node, e))
    .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
    .map((e) => e.id);
}

/** The ids plain Postgres returns for the filter (the search compiled for Postgres), newest first. */
async function postgresIds(db: Database, filter: EventFilter): Promise<string[]> {
  const params: unknown[] = [];
  const where = eventFilterSql(ORG, filter, params);
  const rows = await db.read<{ id: string }>(`SELECT a.id FROM audit_trail_events a WHERE ${where} ORDER BY a."createdAt" DESC, a.id DESC`, params);
  return rows.map((r) => r.id);
}

describe('search: ClickHouse path against the Postgres reference (real Postgres, embedded chDB)', () => {
  let pg: MigratedTestDatabase;
  let ch: TestClickHouse;
  let db: Database;
  let writer: AuditEventsWriteRepository;
  let projection: ClickHouseEventsRepository;
  let progress: ProjectionProgress;
  let reads: EventsReadRepository;
  let config: QueryConfig;
  let search: EventsSearch;
  let clickhouse: ClickHouse;
  const rnd = seededRandom(17);
  let clock = NOW.getTime() - 3_600_000;

  /** Events received now, stored in Postgres (the writer) and, when `project`, in ClickHouse (the projector). */
  async function arrive(count: number, project: boolean, organizationId = ORG, overrides: Partial<AuditEvent> = {}): Promise<AuditEvent[]> {
    const events = Array.from({ length: count }, () => makeSearchEvent(rnd, NOW, organizationId, new Date((clock += 7)), overrides));
    await writer.writeBatch(events);
    if (project) await projectEvents(events);
    return events;
  }

  async function projectEvents(events: readonly AuditEvent[]): Promise<void> {
    await projection.insertNew(events.map(toClickHouseRow));
    const newest = events.reduce((max, e) => (e.receivedAt > max ? e.receivedAt : max), '');
    await progress.advance(toClickHouseTime(newest));
  }

  /** The ids of every page of the search, `between(n)` run after page n when another follows. */
  async function pagedIds(filter: EventFilter, limit: number, between?: (page: number) => Promise<void>): Promise<string[]> {
    const items = await allPages(async (after: Cursor | undefined, page) => {
      if (page > 0) await between?.(page - 1);
      return search.page(ORG, filter, limit, after);
    });
    return items.map((i) => i.id);
  }

  const filterOf = (text: string, fixed: Partial<EventFilter> = {}): EventFilter => ({ actionTypes: [], ...fixed, search: readSearch(text, NOW) });

  beforeAll(async () => {
    pg = await createMigratedTestDatabase('query_search');
    db = pg.database;
    writer = new AuditEventsWriteRepository(db);
    reads = new EventsReadRepository(db);
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    // The service's ClickHouse is this test's chDB session: the same client the service would open.
    clickhouse = { client, insertSettings: {}, mode: 'embedded' } as unknown as ClickHouse;
    projection = new ClickHouseEventsRepository(clickhouse);
    progress = new ProjectionProgress(clickhouse);
    config = { ...readQueryConfig({}), searchFreshnessMarginMs: MARGIN_MS };
    search = new EventsSearch(clickhouse, progress, reads, new SearchUsersRepository(db), config);

    // Most events are projected; the newest are still Postgres' alone (received after the mark).
    await arrive(360, true);
    await arrive(40, true, OTHER);
    // Ada changes her e-mail: Postgres' users row says the new one, the projection holds both spellings.
    await arrive(20, true, ORG, { userId: 'u-ada', user: { email: 'ada@example.com', userName: 'Ada Lovelace' } });
    // Past the margin ahead of the mark: in Postgres only, so only the merge finds them.
    clock += MARGIN_MS * 2;
    await arrive(60, false);
  });

  afterAll(async () => {
    await pg?.close();
    await ch?.drop();
  });

  it('holds events both projected and not yet projected', async () => {
    const [{ n }] = await ch.query<{ n: number }>(`SELECT count() AS n FROM audit_events WHERE organizationId = {org:String}`, { org: ORG });
    expect(n).toBe(380);
    expect(await postgresIds(db, { actionTypes: [] })).toHaveLength(440);
  });

  it.each(SEARCH_CORPUS.map((q) => [q]))('%j: ClickHouse + merge returns exactly the reference evaluation, in order, page by page', async (text) => {
    const filter = filterOf(text);
    const expected = await expectedIds(db, filter);
    // The Postgres compilation is the same set as the evaluator's (a plain Postgres evaluation of the query).
    expect(await postgresIds(db, filter)).toEqual(expected);
    expect(await pagedIds(filter, 23)).toEqual(expected);
  });

  it('ANDs the fixed parameters with the search', async () => {
    const filter = filterOf('-user:u-bot', { from: new Date('2025-09-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z'), actionTypes: ['QUERY_RUN', 'LOGIN', 'PAGE_VIEW'], pageName: 'Sales' });
    const expected = await expectedIds(db, filter);
    expect(expected.length).toBeGreaterThan(0);
    expect(await pagedIds(filter, 5)).toEqual(expected);
  });

  it('keeps keyset cursors exact while events arrive and the projector catches up between pages', async () => {
    const filter = filterOf('created:>2025-01-01 -rt:>1900');
    const before = new Set(await expectedIds(db, filter));
    let pending: AuditEvent[] = [];
    const seen = await pagedIds(filter, 17, async (page) => {
      // The projector writes what was pending, new events arrive in Postgres only, and one lands within
      // the margin before the new mark without being projected (committed out of order).
      if (pending.length > 0) await projectEvents(pending);
      pending = await arrive(9, false);
      if (page % 3 === 0) {
        const [late] = await arrive(1, false);
        await projectEvents(await arrive(3, false));
        pending.push(late);
      }
    });
    expect(new Set(seen).size).toBe(seen.length);
    const now = await expectedIds(db, filter);
    // Every event that matched at the start was returned, and whatever was returned matches now, in order.
    for (const id of before) expect(seen).toContain(id);
    expect(now.filter((id) => seen.includes(id))).toEqual(seen);
  });

  it('shows what Postgres holds now: a row changed or removed there since it was projected is not returned', async () => {
    const [changed, removed] = await arrive(2, true, ORG, { pageName: 'Quarterly', userId: 'u-bob', user: { email: 'bob@example.com', userName: 'Bob' } });
    expect((await pagedIds(filterOf('page:Quarterly'), 10)).sort()).toEqual([changed.id, removed.id].sort());
    await db.read(`UPDATE audit_trail_events SET "pageName" = 'Redacted' WHERE id = $1`, [changed.id]);
    await db.read(`DELETE FROM audit_trail_events WHERE id = $1`, [removed.id]);
    expect(await pagedIds(filterOf('page:Quarterly'), 10)).toEqual([]);
    expect(await pagedIds(filterOf('page:Redacted'), 10)).toEqual([changed.id]);
  });

  it('never reads another organization', async () => {
    const ids = new Set(await postgresIds(db, { actionTypes: [] }));
    for (const id of await pagedIds(filterOf(''), 200)) expect(ids.has(id)).toBe(true);
  });

  it('answers 400 with advice past SEARCH_MAX_ROWS instead of scanning', async () => {
    const bounded = new EventsSearch(clickhouse, progress, reads, new SearchUsersRepository(db), { ...config, searchMaxRows: 10 });
    const error = await bounded.page(ORG, filterOf('-action:LOGIN'), 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/more than 10 events \(SEARCH_MAX_ROWS\): narrow it with created:/) });
  });

  it('answers 400 when a free text stands for more users than a search may name', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `('${ORG}', 'bulk-${i}', 'bulk${i}@many.io', 'Bulk ${i}', now(), now())`).join(',');
    await db.read(`INSERT INTO users ("organizationId", id, email, "userName", "createdAt", "updatedAt") VALUES ${many}`, []);
    const error = await search.page(ORG, filterOf('many.io'), 10).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/matches more than 1000 users/) });
  });

  it('with a stale mark (SEARCH_MARK_STALE) pages do not wait for the mark\'s read, share one read in the background, and stay exact while the projector moves on', async () => {
    // The mark's statement waits on a gate the test holds closed: a page that waited for it would not end.
    let gate: Promise<void> = Promise.resolve();
    let markReads = 0;
    const statements: string[] = [];
    const gated = new Proxy(clickhouse.client, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return async (params: Parameters<ClickHouse['client']['query']>[0]) => {
          statements.push(/FROM projection_progress/.test(params.query) ? 'mark' : /FROM audit_events/.test(params.query) ? 'positions' : 'other');
          if (/FROM projection_progress/.test(params.query)) {
            markReads++;
            await gate;
          }
          return target.query(params);
        };
      },
    });
    const gatedClickHouse = { ...clickhouse, client: gated } as unknown as ClickHouse;
    const marks = new ProjectionProgress(gatedClickHouse);
    const stale = new EventsSearch(gatedClickHouse, marks, reads, new SearchUsersRepository(db), { ...config, searchMarkReuseMs: 0, searchMarkStaleMs: 3_600_000 });
    const filter = filterOf('created:>2025-01-01');
    // The first page has no mark to use: it waits for the read.
    await stale.page(ORG, filter, 10);
    expect(markReads).toBe(1);
    const markBefore = (await progress.watermark()) as number;
    let open: () => void = () => undefined;
    gate = new Promise((resolve) => (open = resolve));
    const within = async <T>(work: Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([work, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error("the page waited for the mark's read")), 20_000)))]);
      } finally {
        clearTimeout(timer);
      }
    };
    const before = new Set(await expectedIds(db, filter));
    let pending: AuditEvent[] = [];
    const ids: string[] = [];
    let after: Cursor | undefined;
    statements.length = 0;
    for (let page = 0; page < 100; page++) {
      const result = await within(stale.page(ORG, filter, 13, after));
      // The read that replaces the stale mark comes after the page's own statement: on chDB's one
      // statement chain, one sent before it would hold the page up all the same.
      if (page === 0) {
        expect(statements.filter((k) => k === 'mark')).toHaveLength(1);
        expect(statements.indexOf('mark')).toBeGreaterThan(statements.lastIndexOf('positions'));
        expect(statements).toContain('positions');
      }
      ids.push(...result.items.map((i) => i.id));
      if (!result.next) break;
      after = result.next;
      // The projector moves its mark on past what the stale mark says, and events arrive in Postgres only.
      if (pending.length > 0) await projectEvents(pending);
      pending = await arrive(4, false);
    }
    // One read in the background for all of those pages, still held at the gate.
    expect(markReads).toBe(2);
    expect((await progress.watermark()) as number).toBeGreaterThan(markBefore);
    const now = await expectedIds(db, filter);
    expect(new Set(ids).size).toBe(ids.length);
    expect(now.filter((id) => ids.includes(id))).toEqual(ids);
    // Every event there when the pages began was returned, whichever store held it.
    for (const id of before) expect(ids).toContain(id);
    open();
    // Once the gate opens the reads answer, and a later read takes the projector's newest mark.
    const deadline = Date.now() + 20_000;
    while ((await marks.searchMark(0, 0)).mark !== (await progress.watermark())) {
      if (Date.now() > deadline) throw new Error('the mark was never read again');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  // Last: its events are projected, which moves the mark past events other tests keep unprojected.
  it('pages exactly through many events of one millisecond: the instant shared across a page\'s end is read whole', async () => {
    const at = '2025-02-03T04:05:06.789Z';
    await arrive(30, true, ORG, { createdAt: at, pageName: 'Tie desk' });
    await arrive(5, true, ORG, { createdAt: '2025-02-03T04:05:06.790Z', pageName: 'Tie desk' });
    await arrive(5, true, ORG, { createdAt: '2025-02-03T04:05:06.788Z', pageName: 'Tie desk' });
    // The mark moves past them by more than the margin: ClickHouse alone answers for them, not the Postgres tail.
    clock += MARGIN_MS * 2;
    await arrive(1, true, OTHER);
    const filter = filterOf('page:"Tie desk"');
    const expected = await expectedIds(db, filter);
    expect(expected).toHaveLength(40);
    for (const limit of [1, 7, 29, 30, 31]) expect({ limit, ids: await pagedIds(filter, limit) }).toEqual({ limit, ids: expected });
  });
});
