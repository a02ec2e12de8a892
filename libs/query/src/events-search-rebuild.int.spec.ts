import { Logger } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import fc from 'fast-check';
import { ClickHouseEventsRepository, migrateClickHouse, ProjectionProgress, toClickHouseRow, toClickHouseTime, type ClickHouse } from '@audit/clickhouse';
import type { AuditEvent } from '@audit/contracts';
import { AuditEventsWriteRepository, type Database, SearchUsersRepository } from '@audit/persistence';
import { allPages, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase, makeSearchEvent, seededRandom } from '@audit/testing-pipeline';
import type { Cursor } from '@audit/event-filter';
import { readSearch, type EventFilter } from '@audit/event-filter';
import { readQueryConfig } from './config';
import { EventsReadRepository } from './events-read.repository';
import { EventsSearch } from './events-search';

jest.setTimeout(180_000);
Logger.overrideLogger(['error']);

const ORG = 'acme_rb';
const NOW = new Date('2026-06-15T12:00:00.000Z');
const MARGIN_MS = 60_000;

/**
 * Searches reuse the projector's mark on embedded ClickHouse (ProjectionProgress.searchMark); a rebuild
 * clears ClickHouse right after it holds the mark. These run the rebuild's steps (hold, clear, reload,
 * release, as ProjectionRebuilder does them) at every point of a search, on real Postgres and chDB — as the
 * embedded mode reads the mark (the process's rebuild epoch) and as the server mode does (a rebuild in
 * another process: the mark and the rebuilds begun read again once ClickHouse answered).
 */
describe.each([
  ['embedded', 'reused'],
  // Every page past the first takes the mark read before it while the next is read in the background.
  ['embedded', 'stale'],
  ['server', 'reused'],
] as const)('search beside a projection rebuild (real Postgres, chDB, %s mode, the mark %s)', (mode, marks) => {
  let pg: MigratedTestDatabase;
  let ch: TestClickHouse;
  let db: Database;
  let writer: AuditEventsWriteRepository;
  let projection: ClickHouseEventsRepository;
  let progress: ProjectionProgress;
  let search: EventsSearch;
  let stored: AuditEvent[] = [];
  /** Run once, right before the next statement that reads audit_events (a search's positions). */
  let beforeKeysStatement: (() => Promise<void>) | undefined;
  /** Run once, right after that statement answered, before the page goes on. */
  let afterKeysStatement: (() => Promise<void>) | undefined;
  const rnd = seededRandom(29);
  let clock = NOW.getTime() - 3_600_000;

  async function arrive(count: number): Promise<void> {
    const events = Array.from({ length: count }, () => makeSearchEvent(rnd, NOW, ORG, new Date((clock += 7))));
    await writer.writeBatch(events);
    await projection.insertNew(events.map(toClickHouseRow));
    await progress.advance(toClickHouseTime(events[events.length - 1].receivedAt));
    stored = [...stored, ...events];
    // The next batch moves the mark past the freshness margin: then these are ClickHouse's alone to find.
    clock += MARGIN_MS * 2;
  }

  /** A rebuild's first steps: the hold, then the clear (TRUNCATE, as a rebuild of everything does). */
  async function holdAndClear(): Promise<void> {
    await progress.hold();
    await (await ch.client()).command({ query: 'TRUNCATE TABLE audit_events' });
  }

  /** A rebuild's last steps: the reload from Postgres, then the release. */
  async function reloadAndRelease(): Promise<void> {
    await projection.reload(stored.map(toClickHouseRow));
    await progress.release();
    await progress.advance(toClickHouseTime(stored[stored.length - 1].receivedAt));
  }

  const pagedIds = async (filter: EventFilter, limit: number): Promise<string[]> =>
    (await allPages((after: Cursor | undefined) => search.page(ORG, filter, limit, after))).map((i) => i.id);

  const everything: EventFilter = { actionTypes: [], search: readSearch('created:>2000-01-01', NOW) };
  const newestFirst = (): string[] =>
    [...stored].sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1)).map((e) => e.id);

  beforeAll(async () => {
    pg = await createMigratedTestDatabase(`query_search_rebuild_${mode}_${marks}`);
    db = pg.database;
    writer = new AuditEventsWriteRepository(db);
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    // The service's client, with a hook at the moment a search's positions statement is about to run.
    const hooked = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
        return async (params: Parameters<ClickHouseClient['query']>[0]) => {
          if (!/FROM audit_events/.test(params.query)) return target.query(params);
          const [before, after] = [beforeKeysStatement, afterKeysStatement];
          if (before) {
            beforeKeysStatement = undefined;
            await before();
          }
          const answer = await target.query(params);
          if (after) {
            afterKeysStatement = undefined;
            await after();
          }
          return answer;
        };
      },
    });
    const clickhouse = { client: hooked, insertSettings: {}, removalSettings: {}, mode } as unknown as ClickHouse;
    projection = new ClickHouseEventsRepository(clickhouse);
    progress = new ProjectionProgress(clickhouse);
    search = new EventsSearch(clickhouse, progress, new EventsReadRepository(db), new SearchUsersRepository(db), {
      ...readQueryConfig({}),
      searchFreshnessMarginMs: MARGIN_MS,
      // A mark is reused (or, past a reuse of 0, used stale) for the whole test unless a rebuild says
      // otherwise: a slow machine must not hide a stale one.
      ...(marks === 'reused' ? { searchMarkReuseMs: 3_600_000 } : { searchMarkReuseMs: 0, searchMarkStaleMs: 3_600_000 }),
    });
    // The first batch is ClickHouse's alone to find (more than the margin before the mark), the second the tail's too.
    await arrive(40);
    await arrive(5);
  });

  afterAll(async () => {
    await pg?.close();
    await ch?.drop();
  });

  it('a page right after a rebuild began clearing ClickHouse still holds every event (the reused mark is dropped)', async () => {
    // This page reads the mark; the next ones would reuse it.
    expect(await pagedIds(everything, 15)).toEqual(newestFirst());
    await holdAndClear();
    expect(await pagedIds(everything, 15)).toEqual(newestFirst());
    await reloadAndRelease();
    expect(await pagedIds(everything, 15)).toEqual(newestFirst());
  });

  it('a rebuild that clears ClickHouse between the mark read and the positions statement: the page is read from Postgres', async () => {
    await pagedIds(everything, 15);
    beforeKeysStatement = holdAndClear;
    const page = await search.page(ORG, everything, 15);
    expect(beforeKeysStatement).toBeUndefined();
    expect(page.items.map((i) => i.id)).toEqual(newestFirst().slice(0, 15));
    await reloadAndRelease();
  });

  it('a whole rebuild between the mark read and the check after the positions statement: the page is read from Postgres', async () => {
    await pagedIds(everything, 15);
    beforeKeysStatement = holdAndClear;
    afterKeysStatement = reloadAndRelease;
    const page = await search.page(ORG, everything, 15);
    expect(afterKeysStatement).toBeUndefined();
    expect(page.items.map((i) => i.id)).toEqual(newestFirst().slice(0, 15));
  });

  it('pages are exact whichever page of a search a rebuild starts or ends at, and however events arrive meanwhile (property)', async () => {
    const step = fc.constantFrom('none', 'arrive', 'hold+clear', 'hold+clear during the statement', 'reload+release');
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), fc.integer({ min: 3, max: 40 }), async (steps, limit) => {
        let held = false;
        for (const s of steps) {
          if (s === 'arrive' && !held) await arrive(1 + Math.floor(rnd() * 5));
          if (s === 'hold+clear' && !held) {
            await holdAndClear();
            held = true;
          }
          if (s === 'hold+clear during the statement' && !held) {
            beforeKeysStatement = holdAndClear;
            held = true;
          }
          if (s === 'reload+release' && held && beforeKeysStatement === undefined) {
            await reloadAndRelease();
            held = false;
          }
          // Every search, wherever the rebuild stands, returns exactly what Postgres holds, in order.
          expect(await pagedIds(everything, limit)).toEqual(newestFirst());
        }
        if (beforeKeysStatement) await pagedIds(everything, limit);
        if (held) await reloadAndRelease();
      }),
      { numRuns: 15, seed: 20261206 },
    );
  });
});
