import { ClickHouseEventsRepository, encodeEventRow, fromClickHouseTime, migrateClickHouse, ProjectionProgress, type ClickHouse, type EncodedEventRow } from '@audit/clickhouse';
import { TransientError } from '@audit/messaging';
import { canonicalEvent, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { OverlappingInserts, type ProjectionStore } from './overlapping-inserts';

jest.setTimeout(30_000);

/**
 * OverlappingInserts on embedded chDB with the real repository. The interleavings that matter (a batch
 * checked while another is inserted; an insert that stores its rows and then fails) are forced by
 * holding an insert back until a later batch's check has run, so each test shows the case it names.
 */
describe('OverlappingInserts: batches overlap, duplicates are still stored once', () => {
  let ch: TestClickHouse;
  let repo: ClickHouseEventsRepository;
  let progress: ProjectionProgress;
  let org = 0;
  let marks = 0;

  beforeAll(async () => {
    ch = testClickHouseEnv();
    const client = await ch.client();
    await migrateClickHouse(client);
    repo = new ClickHouseEventsRepository({ client, insertSettings: {} } as unknown as ClickHouse);
    progress = new ProjectionProgress({ client, insertSettings: {} } as unknown as ClickHouse);
  });

  afterAll(async () => {
    await ch?.drop();
  });

  /** A fresh organization per test, and `n` events of it an hour apart, as encoded rows. */
  const dataset = (n: number): { organizationId: string; rows: EncodedEventRow[] } => {
    const organizationId = `org-overlap-${++org}`;
    const rows = Array.from({ length: n }, (_, i) =>
      encodeEventRow(canonicalEvent({ organizationId, actionType: 'LOGIN', responseTimeMs: i, createdAt: new Date(Date.UTC(2026, 10, 20, i % 24, i)).toISOString() })),
    );
    return { organizationId, rows };
  };
  const stored = async (organizationId: string) =>
    (
      await ch.query<{ rows: number; ids: number; rollup: number }>(
        `SELECT (SELECT count() FROM audit_events WHERE organizationId = {org:String}) AS rows,
                (SELECT uniqExact(id) FROM audit_events WHERE organizationId = {org:String}) AS ids,
                (SELECT sum(events) FROM audit_events_hourly WHERE organizationId = {org:String}) AS rollup`,
        { org: organizationId },
      )
    )[0];

  /**
   * The real repository and high-water mark (a mark of its own per store), with each check's answer
   * recorded and a hook before and after each insert and before each mark.
   */
  const store = (
    hooks: {
      beforeCheckAnswer?: (rows: readonly EncodedEventRow[]) => Promise<void>;
      beforeInsert?: (rows: readonly EncodedEventRow[]) => Promise<void>;
      afterInsert?: (rows: readonly EncodedEventRow[]) => void;
      beforeMark?: (rows: readonly EncodedEventRow[]) => Promise<void>;
    } = {},
  ) => {
    const checks: Array<{ first: string; found: number }> = [];
    const consumer = `overlap-${++marks}`;
    const s: ProjectionStore<EncodedEventRow> = {
      check: async (rows) => {
        const found = await repo.check(rows);
        await hooks.beforeCheckAnswer?.(rows);
        checks.push({ first: rows[0].id, found: new Set([...found.stored, ...found.registered]).size });
        return found;
      },
      // A hook throwing after the insert fails the batch between its rows and their registration, as a crash there would.
      complete: (rows, check) =>
        repo.complete(rows, check, async (group, known) => {
          await hooks.beforeInsert?.(rows);
          const inserted = await repo.insertEncodedExcept(group, known);
          hooks.afterInsert?.(rows);
          return inserted;
        }),
      // These organizations erase nobody and there is no Postgres here: erasures-in-flight.int.spec.ts covers that step.
      eraseCovered: () => Promise.resolve(),
      markProjected: async (rows) => {
        await hooks.beforeMark?.(rows);
        await progress.advancePast(rows, consumer);
      },
    };
    return { store: s, checks, mark: () => progress.watermark(consumer) };
  };
  /** The ids the organization has in audit_events. */
  const storedIds = async (organizationId: string): Promise<Set<string>> =>
    new Set((await ch.query<{ id: string }>(`SELECT toString(id) AS id FROM audit_events WHERE organizationId = {org:String}`, { org: organizationId })).map((r) => r.id));
  /** A promise to hold an insert back with, and its release. */
  const gate = () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { opened, open };
  };

  it('a batch checked while the previous one was being inserted skips the ids that batch committed', async () => {
    const { organizationId, rows } = dataset(30);
    const first = rows.slice(0, 20);
    // 10 ids of the first batch (one of them twice) and 10 new ones.
    const second = [...rows.slice(10, 30), rows[15]];
    const held = gate();
    const { store: s, checks } = store({ beforeInsert: (batch) => (batch === first ? held.opened : Promise.resolve()) });
    const inserts = new OverlappingInserts(s);

    const a = inserts.insertNew(first);
    const b = inserts.insertNew(second);
    // The first insert waits until the second batch's check has run: that check cannot see the first batch.
    await waitUntil(() => checks.length === 2);
    held.open();

    expect(await Promise.all([a, b])).toEqual([20, 10]);
    expect(checks.map((c) => c.found)).toEqual([0, 0]);
    expect(await stored(organizationId)).toEqual({ rows: 30, ids: 30, rollup: 30 });
  });

  it('an insert that stored its rows and then failed makes the batch checked meanwhile check again in its turn', async () => {
    const { organizationId, rows } = dataset(30);
    const first = rows.slice(0, 20);
    const second = rows.slice(10, 30);
    const held = gate();
    let lost = false;
    const { store: s, checks } = store({
      beforeInsert: (batch) => (batch === first ? held.opened : Promise.resolve()),
      // Committed, then lost, as when the connection drops before the answer: the bus will redeliver the first batch.
      afterInsert: (batch) => {
        if (batch !== first || lost) return;
        lost = true;
        throw new Error('connection lost after the insert');
      },
    });
    const inserts = new OverlappingInserts(s);

    const a = inserts.insertNew(first);
    const b = inserts.insertNew(second);
    await waitUntil(() => checks.length === 2);
    held.open();

    await expect(a).rejects.toThrow('connection lost after the insert');
    expect(await b).toBe(10);
    // The second batch's first check found nothing; its second, in its turn, found the first batch's 10.
    expect(checks.map((c) => c.found)).toEqual([0, 0, 10]);
    expect(await stored(organizationId)).toEqual({ rows: 30, ids: 30, rollup: 30 });

    // The redelivered first batch finds every row there.
    expect(await inserts.insertNew(first)).toBe(0);
    expect(await stored(organizationId)).toEqual({ rows: 30, ids: 30, rollup: 30 });
  });

  it('a check older than the commits it remembers is done again', async () => {
    const { organizationId, rows } = dataset(30);
    const batches = [rows.slice(0, 10), rows.slice(10, 20), rows.slice(0, 30)];
    const held = gate();
    const { store: s, checks } = store({ beforeInsert: (batch) => (batch === batches[0] ? held.opened : Promise.resolve()) });
    // One commit remembered; the third batch is checked before the first two commit.
    const inserts = new OverlappingInserts(s, 1);

    const pending = batches.map((batch) => inserts.insertNew(batch));
    await waitUntil(() => checks.length === 3);
    held.open();

    expect(await Promise.all(pending)).toEqual([10, 10, 10]);
    expect(checks.map((c) => c.found)).toEqual([0, 0, 0, 20]);
    expect(await stored(organizationId)).toEqual({ rows: 30, ids: 30, rollup: 30 });
  });

  it('inserts one after the other, in call order, whatever order the checks finish in', async () => {
    const { organizationId, rows } = dataset(40);
    const batches = [rows.slice(0, 10), rows.slice(5, 25), rows.slice(20, 40), rows.slice(0, 40)];
    const order: string[] = [];
    const held = gate();
    const { store: s, checks } = store({
      // The first batch's check answers last.
      beforeCheckAnswer: (batch) => (batch === batches[0] ? held.opened : Promise.resolve()),
      afterInsert: (batch) => void order.push(batch[0].id),
    });
    const inserts = new OverlappingInserts(s);

    const pending = batches.map((batch) => inserts.insertNew(batch));
    await waitUntil(() => checks.length === 3);
    expect(order).toEqual([]);
    held.open();

    expect(await Promise.all(pending)).toEqual([10, 15, 15, 0]);
    expect(order).toEqual(batches.map((batch) => batch[0].id));
    expect(await stored(organizationId)).toEqual({ rows: 40, ids: 40, rollup: 40 });
    expect(await inserts.insertNew([])).toBe(0);
  });

  it('the mark moves in each batch\'s turn, after its rows are stored: it never passes an event not yet in ClickHouse', async () => {
    const organizationId = `org-overlap-${++org}`;
    // Received one millisecond apart, in stream order; the batches overlap (redeliveries) and the first is held back.
    const t0 = Date.UTC(2026, 10, 20, 12);
    const rows = Array.from({ length: 40 }, (_, i) => encodeEventRow(canonicalEvent({ organizationId, actionType: 'LOGIN' }, new Date(t0 + i))));
    const batches = [rows.slice(0, 15), rows.slice(10, 30), rows.slice(30, 40)];
    const held = gate();
    const seen: Array<{ newest: number; missing: string[] }> = [];
    const { store: s, checks, mark } = store({
      beforeInsert: (batch) => (batch === batches[0] ? held.opened : Promise.resolve()),
      // Just before a mark is written: every event received up to it must be in ClickHouse already.
      beforeMark: async (batch) => {
        const newest = Math.max(...batch.map((r) => fromClickHouseTime(r.receivedAt)));
        const upTo = rows.filter((r) => fromClickHouseTime(r.receivedAt) <= newest);
        const there = await storedIds(organizationId);
        seen.push({ newest, missing: upTo.filter((r) => !there.has(r.id)).map((r) => r.id) });
      },
    });
    const inserts = new OverlappingInserts(s);

    const pending = batches.map((batch) => inserts.insertNew(batch));
    // Both later batches are checked while the first is held: no mark may move past the held rows meanwhile.
    await waitUntil(() => checks.length === 3);
    expect(await mark()).toBeNull();
    held.open();

    expect(await Promise.all(pending)).toEqual([15, 15, 10]);
    expect(seen).toEqual([0, 1, 2].map((b) => ({ newest: t0 + [14, 29, 39][b], missing: [] })));
    expect(await mark()).toBe(t0 + 39);
  });

  it('a batch whose turn comes after the signal was aborted (the service stopping) inserts nothing and fails with the reason', async () => {
    const { organizationId, rows } = dataset(20);
    const held = gate();
    let inserting = false;
    const { store: s, mark } = store({
      beforeInsert: (batch) => {
        if (batch !== rows) return Promise.resolve();
        inserting = true;
        return held.opened;
      },
    });
    const inserts = new OverlappingInserts(s);
    const stopping = new AbortController();

    const first = inserts.insertNew(rows, undefined, stopping.signal);
    const second = inserts.insertNew(Array.from({ length: 10 }, () => encodeEventRow(canonicalEvent({ organizationId, actionType: 'LOGOUT' }))), undefined, stopping.signal);
    await waitUntil(() => inserting);
    stopping.abort(new TransientError('stopping'));
    held.open();

    // The insert under way finishes, and its mark with it (shutdown's wait covers both); the one waiting for its turn is handed back.
    expect(await first).toBe(20);
    await expect(second).rejects.toThrow(TransientError);
    await inserts.idle();
    expect(await stored(organizationId)).toEqual({ rows: 20, ids: 20, rollup: 20 });
    expect(await mark()).toBe(Math.max(...rows.map((r) => fromClickHouseTime(r.receivedAt))));
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
