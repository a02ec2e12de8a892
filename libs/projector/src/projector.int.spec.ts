import type { TestingModule } from '@nestjs/testing';
import { ACTION_TYPES, type ActionType, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { ClickHouseEventsRepository, ProjectionProgress } from '@audit/clickhouse';
import { eventsSubject, STREAMS, TransientError } from '@audit/messaging';
import {
  canonicalEvent,
  readStream,
  ROLLUP_CHECKS,
  startTestPipeline,
  waitForConsumerIdle,
  type TestBus,
  type TestClickHouse,
  type TestDatabase,
  type TestPipeline,
} from '@audit/testing';
import { WriterModule } from '@audit/writer';
import { ProjectionRebuilder } from './projection-rebuilder';
import { ProjectionRebuildModule, ProjectorModule } from './projector.module';

/** `2026-11-27T10:15:30.123Z` → `2026-11-27 10:15:30.123`: how ClickHouse prints a DateTime64(3, 'UTC'). */
jest.setTimeout(60_000);

const chTime = (iso: string): string => iso.replace('T', ' ').replace('Z', '');
const hourOf = (iso: string): string => `${iso.slice(0, 13).replace('T', ' ')}:00:00`;

interface Aggregate {
  organizationId: string;
  actionType: string;
  hour: string;
  n: number;
  rt: number;
  rc: number;
}
const byKey = (a: Aggregate, b: Aggregate): number =>
  `${a.organizationId}|${a.actionType}|${a.hour}` < `${b.organizationId}|${b.actionType}|${b.hour}` ? -1 : 1;

/** The expected rollup of a data set, computed here without ClickHouse: org × action type × hour → count, Σ response time, # with one. */
function expectedAggregate(events: readonly AuditEvent[]): Aggregate[] {
  const groups = new Map<string, Aggregate>();
  for (const e of events) {
    const hour = hourOf(e.createdAt);
    const key = `${e.organizationId}|${e.actionType}|${hour}`;
    const g = groups.get(key) ?? { organizationId: e.organizationId, actionType: e.actionType, hour, n: 0, rt: 0, rc: 0 };
    g.n += 1;
    g.rt += e.responseTimeMs ?? 0;
    g.rc += e.responseTimeMs === null ? 0 : 1;
    groups.set(key, g);
  }
  return [...groups.values()].sort(byKey);
}

/**
 * The projector on embedded chDB, in-process beside the writer (so Postgres, the system of record, holds
 * the same events): every field projected exactly, the rollup equal to a direct aggregate, redelivery
 * counted once, and the projection rebuilt from Postgres. Poison has a file of its own (projector-poison.int.spec.ts).
 */
describe('projector: AUDIT_EVENTS → ClickHouse (embedded chDB)', () => {
  let pipeline: TestPipeline;
  let db: TestDatabase;
  let ch: TestClickHouse;
  let bus: TestBus;
  let app: TestingModule;

  beforeAll(async () => {
    const started = await startTestPipeline(
      'projector_int',
      [WriterModule, ProjectorModule, ProjectionRebuildModule],
      {
        PROJECTOR_FLUSH_INTERVAL: '50ms',
        PROJECTOR_BATCH_SIZE: '100',
        WRITER_FLUSH_INTERVAL: '50ms',
        CONSUMER_MAX_DELIVER: '3',
        CONSUMER_ACK_WAIT: '5s',
      },
      { clickhouse: true },
    );
    ({ db, ch, bus, app } = started);
    pipeline = started;
  }, 60_000);

  afterAll(async () => {
    await pipeline?.close();
  }, 30_000);

  /** Publishes each event; `copy` gives it a Nats-Msg-Id of its own so the bus stores it again (a redelivery). */
  const publish = async (events: readonly AuditEvent[], copy?: string): Promise<void> => {
    for (let i = 0; i < events.length; i += 200) {
      await Promise.all(
        events.slice(i, i + 200).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: copy ? `${e.id}:${copy}` : e.id })),
      );
    }
  };
  /** Both consumers have acknowledged (or dead-lettered) everything in the stream. */
  const settle = async (): Promise<void> => {
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 30_000);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 30_000);
  };

  const eventsAggregate = (org?: string): Promise<Aggregate[]> =>
    ch
      .query<Aggregate>(
        `SELECT organizationId, actionType, toString(toStartOfHour(createdAt)) AS hour, count() AS n,
                sum(ifNull(responseTimeMs, 0)) AS rt, countIf(responseTimeMs IS NOT NULL) AS rc
         FROM audit_events WHERE {org:String} = '' OR organizationId = {org:String}
         GROUP BY organizationId, actionType, hour`,
        { org: org ?? '' },
      )
      .then((rows) => rows.sort(byKey));
  const rollupAggregate = (org?: string): Promise<Aggregate[]> =>
    ch
      .query<Aggregate>(
        `SELECT organizationId, actionType, toString(hour) AS hour, sum(events) AS n, sum(responseTimeMsSum) AS rt, sum(responseTimeCount) AS rc
         FROM audit_events_hourly WHERE {org:String} = '' OR organizationId = {org:String}
         GROUP BY organizationId, actionType, hour HAVING n > 0`,
        { org: org ?? '' },
      )
      .then((rows) => rows.sort(byKey));
  const postgresAggregate = (): Promise<Aggregate[]> =>
    db
      .query<Aggregate>(
        `SELECT "organizationId", "actionType", to_char(date_trunc('hour', "createdAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS') AS hour,
                count(*)::int AS n, coalesce(sum("responseTimeMs"), 0)::int AS rt, count("responseTimeMs")::int AS rc
         FROM audit_trail_events GROUP BY 1, 2, 3`,
      )
      .then((rows) => rows.sort(byKey));
  const totals = async (org?: string): Promise<{ rows: number; ids: number }> =>
    (
      await ch.query<{ rows: number; ids: number }>(
        `SELECT count() AS rows, uniqExact(id) AS ids FROM audit_events WHERE {org:String} = '' OR organizationId = {org:String}`,
        { org: org ?? '' },
      )
    )[0];

  /** The load of two organizations over four hours (edges included), 5 action types, some without a response time. */
  const TYPES: ActionType[] = ['QUERY_RUN', 'PAGE_VIEW', 'LOGIN', 'CREATE_RESOURCE', 'RUN_WORKFLOW'];
  const load: AuditEvent[] = Array.from({ length: 260 }, (_, i) =>
    canonicalEvent({
      organizationId: i % 3 === 0 ? 'org-b' : 'org-a',
      actionType: TYPES[(i * 7) % TYPES.length],
      userId: `user-${i % 11}`,
      user: { email: `user-${i % 11}@example.com`, userName: `User ${i % 11}` },
      ipAddress: `192.0.2.${i % 50}`,
      responseTimeMs: i % 4 === 0 ? null : (i * 37) % 1000,
      queryName: `q${i % 6}`,
      metadata: { i },
      // 08:59:59.999 up to 12:00:00.xxx: every hour edge is crossed.
      createdAt: new Date(Date.UTC(2026, 10, 27, 8, 59, 59, 999) + i * 55_380).toISOString(),
    }),
  );

  it('projects every field exactly: ids, users, IPv4 and IPv6, names, unicode and quoted metadata, millisecond times', async () => {
    const longName = `page-${'ż'.repeat(1019)}`;
    const inputs: AuditEventInput[] = [
      {
        organizationId: 'org-fields',
        actionType: 'QUERY_RUN',
        userId: 'user-ü-1',
        user: { email: "o'brien+audit@example.com", userName: 'Ćwierć "Quoted" O\'Brien 🚀' },
        ipAddress: '203.0.113.254',
        responseTimeMs: 4_294_967,
        pageName: longName,
        queryName: 'getUsers',
        resourceName: 'Postgres "main"',
        metadata: {
          query: "select * from users where name = 'O''Brien' and note = \"x\" -- ;DROP TABLE audit_events",
          parameters: ['żółć', '日本語', '🚀', "it's", 'back\\slash', 'tab\tnew\nline'],
          headers: { 'x-trace': 'abc', 'content-type': 'application/json; charset=utf-8' },
          nested: { n: 1.5, neg: -3, big: 12_345_678_901_234, yes: true, nil: null, empty: '', list: [1, [2, { three: 3 }]] },
          // (No \u0000: Postgres jsonb cannot store it, so the writer dead-letters such an event.)
          'key with "quotes"': '\u0001\u001f control',
        },
        createdAt: '2026-11-27T10:15:30.123Z',
      },
      {
        organizationId: 'org-fields',
        actionType: 'LOGIN',
        userId: 'user-2',
        user: { email: 'two@example.com', userName: 'Two' },
        ipAddress: '2001:db8:85a3::8a2e:370:7334',
        responseTimeMs: 0,
        createdAt: '2026-11-27T10:15:30.001Z',
      },
      {
        organizationId: 'org-fields',
        actionType: 'PAGE_VIEW',
        ipAddress: '::ffff:192.0.2.128',
        pageName: 'Home',
        createdAt: '2026-11-27T23:59:59.999Z',
      },
      // Everything optional absent: nulls and an empty metadata object.
      { organizationId: 'org-fields', actionType: 'LOGOUT', createdAt: '2026-11-28T00:00:00.000Z' },
    ];
    const events = inputs.map((input) => canonicalEvent(input));
    await publish(events);
    await settle();

    const rows = await ch.query<Record<string, unknown>>(
      `SELECT toString(id) AS id, organizationId, actionType, userId, userEmail, userName, ipAddress, responseTimeMs,
              pageName, queryName, resourceName, metadata, toString(createdAt) AS createdAt, toString(receivedAt) AS receivedAt
       FROM audit_events WHERE organizationId = 'org-fields'`,
    );
    const expected = events.map((e, i) => ({
      id: e.id,
      organizationId: 'org-fields',
      actionType: inputs[i].actionType,
      userId: inputs[i].userId ?? null,
      userEmail: inputs[i].user?.email ?? null,
      userName: inputs[i].user?.userName ?? null,
      ipAddress: inputs[i].ipAddress ?? null,
      responseTimeMs: inputs[i].responseTimeMs ?? null,
      pageName: inputs[i].pageName ?? null,
      queryName: inputs[i].queryName ?? null,
      resourceName: inputs[i].resourceName ?? null,
      metadata: JSON.stringify(inputs[i].metadata ?? {}),
      createdAt: chTime(inputs[i].createdAt as string),
      receivedAt: chTime(e.receivedAt),
    }));
    expect(rows.sort((a, b) => String(a['createdAt']).localeCompare(String(b['createdAt'])))).toEqual(
      [...expected].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    );
    // The stored JSON parses back to exactly what the emitter sent.
    const first = rows.find((r) => r['id'] === events[0].id);
    expect(JSON.parse(String(first?.['metadata']))).toEqual(inputs[0].metadata);
    expect(String(first?.['pageName'])).toHaveLength(1024);
    // The milliseconds survive as numbers too, not only as text.
    expect(await ch.query("SELECT toUnixTimestamp64Milli(createdAt) AS ms FROM audit_events WHERE organizationId = 'org-fields' ORDER BY createdAt")).toEqual(
      inputs.map((i) => ({ ms: Date.parse(i.createdAt as string) })).sort((a, b) => a.ms - b.ms),
    );
  });

  it('the hourly rollup equals a direct aggregate of audit_events and of the data set, per org × action type × hour', async () => {
    await publish(load);
    await settle();

    const expected = expectedAggregate(load);
    expect(expected.length).toBeGreaterThan(30);
    expect(expected.filter((g) => g.rc < g.n).length).toBeGreaterThan(0);
    const orgs = ['org-a', 'org-b'];
    const events = (await eventsAggregate()).filter((g) => orgs.includes(g.organizationId));
    const rollup = (await rollupAggregate()).filter((g) => orgs.includes(g.organizationId));
    expect(events).toEqual(expected);
    expect(rollup).toEqual(expected);
    // The whole tables agree too (org-fields included).
    expect(await rollupAggregate()).toEqual(await eventsAggregate());
    expect(await totals('org-a')).toEqual({ rows: load.filter((e) => e.organizationId === 'org-a').length, ids: load.filter((e) => e.organizationId === 'org-a').length });
  });

  it('the daily per-user rollup equals a direct aggregate of audit_events (counts per action type, newest snapshot, IPs)', async () => {
    const direct = await ch.query(ROLLUP_CHECKS.dailyUsers.events);
    expect(direct.length).toBeGreaterThan(10);
    expect(await ch.query(ROLLUP_CHECKS.dailyUsers.rollup)).toEqual(direct);
  });

  it('counts a redelivered event once: the same events published again (after the ack, and twice at once) change no count and no rollup sum', async () => {
    const expected = expectedAggregate(load);
    const before = (await bus.jsm.streams.info(STREAMS.events)).state.messages;

    // Every event again after it was acked, then a third and a fourth copy of a slice at once (duplicates inside one batch).
    await publish(load, 'again');
    const slice = load.slice(0, 60);
    await Promise.all([publish(slice, 'third'), publish(slice, 'fourth')]);
    expect((await bus.jsm.streams.info(STREAMS.events)).state.messages).toBe(before + load.length + 2 * slice.length);
    await settle();
    const projector = await bus.jsm.consumers.info(STREAMS.events, 'projector');
    expect(projector.ack_floor.stream_seq).toBe((await bus.jsm.streams.info(STREAMS.events)).state.last_seq);

    const orgs = ['org-a', 'org-b'];
    expect((await eventsAggregate()).filter((g) => orgs.includes(g.organizationId))).toEqual(expected);
    expect((await rollupAggregate()).filter((g) => orgs.includes(g.organizationId))).toEqual(expected);
    const a = load.filter((e) => e.organizationId === 'org-a').length;
    const b = load.length - a;
    expect([await totals('org-a'), await totals('org-b')]).toEqual([
      { rows: a, ids: a },
      { rows: b, ids: b },
    ]);
    // Nothing of this went to the dead-letter queue.
    expect(await readStream(bus.jsm, STREAMS.dlq)).toEqual([]);
  });

  it('an insert that committed but whose batch then failed (no ack) is redelivered by the bus and still counted once', async () => {
    const repo = app.get(ClickHouseEventsRepository);
    const insert = repo.insertEncodedExcept.bind(repo);
    const results: number[] = [];
    // The first batch commits its rows, then fails as if the process had lost the bus before acking.
    const spy = jest.spyOn(repo, 'insertEncodedExcept').mockImplementation(async (rows, known) => {
      const inserted = await insert(rows, known);
      results.push(inserted);
      if (results.length === 1) throw new TransientError('lost the bus after the insert');
      return inserted;
    });
    const events = Array.from({ length: 40 }, (_, i) =>
      canonicalEvent({ organizationId: 'org-redeliver', actionType: 'LOGIN', responseTimeMs: i, createdAt: new Date(Date.UTC(2026, 10, 25, 7, 59, 30) + i * 1_000).toISOString() }),
    );
    try {
      await publish(events);
      await settle();
    } finally {
      spy.mockRestore();
    }
    // The redelivered batch(es) found every row already there.
    expect(results[0]).toBeGreaterThan(0);
    expect(results.reduce((a, b) => a + b, 0)).toBe(40);
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(await totals('org-redeliver')).toEqual({ rows: 40, ids: 40 });
    expect(await rollupAggregate('org-redeliver')).toEqual(expectedAggregate(events));
    expect(await eventsAggregate('org-redeliver')).toEqual(expectedAggregate(events));
  });

  describe('rebuild from Postgres', () => {
    let rebuilder: ProjectionRebuilder;
    beforeAll(() => {
      rebuilder = app.get(ProjectionRebuilder);
    });

    /** Rows ClickHouse has that Postgres never had, in the events and in the rollup: a rebuild must drop those in its scope. */
    const corrupt = async (org: string, createdAt: string): Promise<void> => {
      const client = await ch.client();
      await client.insert({
        table: 'audit_events',
        values: [{ id: '00000000-0000-4000-8000-00000000dead', organizationId: org, actionType: 'LOGIN', metadata: '{}', createdAt: chTime(createdAt), receivedAt: chTime(createdAt) }],
        format: 'JSONEachRow',
      });
      await client.insert({
        table: 'audit_events_hourly',
        values: [{ organizationId: org, actionType: 'LOGIN', hour: hourOf(createdAt), events: 1000, responseTimeMsSum: 7, responseTimeCount: 1 }],
        format: 'JSONEachRow',
      });
    };
    const pgCount = async (where = 'TRUE', params: unknown[] = []): Promise<number> =>
      (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE ${where}`, params))[0].n;

    it('reloads everything: the same counts as Postgres, twice in a row, and rows Postgres never had are gone', async () => {
      const total = await pgCount();
      // Every event published so far.
      expect(total).toBe(4 + load.length + 40);
      await corrupt('org-a', '2026-11-27T10:30:00.000Z');

      for (let run = 0; run < 2; run++) {
        const progress: Array<[number, number]> = [];
        const result = await rebuilder.rebuild({}, (done, of) => progress.push([done, of]));
        expect(result).toEqual({ organizationId: null, since: null, postgres: total, inserted: total, clickhouse: total });
        expect(progress[0]).toEqual([0, total]);
        expect(progress[progress.length - 1]).toEqual([total, total]);
        expect(await totals()).toEqual({ rows: total, ids: total });
        const pg = await postgresAggregate();
        expect(await eventsAggregate()).toEqual(pg);
        expect(await rollupAggregate()).toEqual(pg);
      }
      // The rebuilt rows carry the same fields as the projected ones (metadata compared as JSON: jsonb does not keep key order).
      const row = (
        await ch.query<Record<string, unknown>>(
          `SELECT userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, toString(createdAt) AS c
           FROM audit_events WHERE organizationId = 'org-fields' AND actionType = 'QUERY_RUN'`,
        )
      )[0];
      expect({ ...row, metadata: JSON.parse(String(row['metadata'])) }).toMatchObject({
        userId: 'user-ü-1',
        userEmail: "o'brien+audit@example.com",
        ipAddress: '203.0.113.254',
        responseTimeMs: 4_294_967,
        resourceName: 'Postgres "main"',
        c: '2026-11-27 10:15:30.123',
        metadata: expect.objectContaining({ parameters: ['żółć', '日本語', '🚀', "it's", 'back\\slash', 'tab\tnew\nline'] }),
      });
    });

    it('--org rebuilds one organization only, idempotently', async () => {
      await corrupt('org-a', '2026-11-27T11:30:00.000Z');
      await corrupt('org-b', '2026-11-27T11:30:00.000Z');
      const orgA = await pgCount(`"organizationId" = 'org-a'`);
      const orgB = await pgCount(`"organizationId" = 'org-b'`);
      for (let run = 0; run < 2; run++) {
        expect(await rebuilder.rebuild({ organizationId: 'org-a' })).toEqual({ organizationId: 'org-a', since: null, postgres: orgA, inserted: orgA, clickhouse: orgA });
        expect(await totals('org-a')).toEqual({ rows: orgA, ids: orgA });
        expect(await eventsAggregate('org-a')).toEqual((await postgresAggregate()).filter((g) => g.organizationId === 'org-a'));
        expect(await rollupAggregate('org-a')).toEqual(await eventsAggregate('org-a'));
      }
      // org-b was out of scope: its stray row is still there, in the events and in the rollup.
      expect(await totals('org-b')).toEqual({ rows: orgB + 1, ids: orgB + 1 });
      const strayHour = (await rollupAggregate('org-b')).find((g) => g.hour === '2026-11-27 11:00:00' && g.actionType === 'LOGIN');
      // 1000 from the stray rollup row, 1 from the stray event through the materialized view, and the real ones.
      expect(strayHour?.n).toBe(1000 + 1 + load.filter((e) => e.organizationId === 'org-b' && e.actionType === 'LOGIN' && hourOf(e.createdAt) === '2026-11-27 11:00:00').length);
      // A full rebuild puts org-b right again.
      await rebuilder.rebuild({ organizationId: 'org-b' });
      expect(await totals('org-b')).toEqual({ rows: orgB, ids: orgB });
      expect(await rollupAggregate()).toEqual(await postgresAggregate());
    });

    it('--since rebuilds from the UTC day of the given instant on (every rollup whole; alone and with --org), idempotently', async () => {
      // A stray before the boundary 2026-11-27 00:00 (since 10:37:12 is floored to its day: the daily rollup is rebuilt whole).
      await corrupt('org-b', '2026-11-26T23:45:00.000Z');
      const since = new Date('2026-11-27T10:37:12.345Z');
      const inScope = await pgCount(`"createdAt" >= '2026-11-27T00:00:00Z'`);
      for (let run = 0; run < 2; run++) {
        const result = await rebuilder.rebuild({ since });
        expect(result).toEqual({ organizationId: null, since: '2026-11-27T00:00:00.000Z', postgres: inScope, inserted: inScope, clickhouse: inScope });
      }
      const total = await pgCount();
      // The stray at 23:45 the day before was out of scope and stays.
      expect(await totals()).toEqual({ rows: total + 1, ids: total + 1 });
      const pg = await postgresAggregate();
      expect((await eventsAggregate()).filter((g) => g.hour >= '2026-11-27 00:00:00')).toEqual(pg.filter((g) => g.hour >= '2026-11-27 00:00:00'));
      expect((await rollupAggregate()).filter((g) => g.hour >= '2026-11-27 00:00:00')).toEqual(pg.filter((g) => g.hour >= '2026-11-27 00:00:00'));

      // Both scopes at once: org-b from 2026-11-26 00:00 on takes the stray away.
      const orgBSince = await pgCount(`"organizationId" = 'org-b' AND "createdAt" >= '2026-11-26T00:00:00Z'`);
      for (let run = 0; run < 2; run++) {
        expect(await rebuilder.rebuild({ organizationId: 'org-b', since: new Date('2026-11-26T23:59:59.999Z') })).toEqual({
          organizationId: 'org-b',
          since: '2026-11-26T00:00:00.000Z',
          postgres: orgBSince,
          inserted: orgBSince,
          clickhouse: orgBSince,
        });
      }
      expect(await totals()).toEqual({ rows: total, ids: total });
      expect(await eventsAggregate()).toEqual(await postgresAggregate());
      expect(await rollupAggregate()).toEqual(await postgresAggregate());
      expect(await ch.query(ROLLUP_CHECKS.dailyUsers.rollup)).toEqual(await ch.query(ROLLUP_CHECKS.dailyUsers.events));
    });

    it("resets the projector's high-water mark: searches trust none while it runs, not even one the projector records meanwhile, until it completes", async () => {
      const progress = app.get(ProjectionProgress);
      // The rebuilds above reset the mark; the projector's next batch records it again.
      const first = canonicalEvent({ organizationId: 'org-mark', actionType: 'LOGIN', createdAt: '2026-11-27T11:00:00.000Z' });
      await publish([first]);
      await settle();
      expect(await progress.watermark()).toBe(Date.parse(first.receivedAt));
      // A rebuild that stops half-way (here its progress report throws once a page is reloaded) keeps the hold.
      const stopped = rebuilder.rebuild({}, (done) => {
        if (done > 0) throw new Error('stopped half-way');
      });
      await expect(stopped).rejects.toThrow('stopped half-way');
      expect(await progress.watermark()).toBeNull();
      // The live projector goes on recording its marks; none is trusted while the hold lasts.
      const late = canonicalEvent({ organizationId: 'org-mark', actionType: 'LOGIN', createdAt: '2026-11-27T12:00:00.000Z' });
      await publish([late]);
      await settle();
      expect((await ch.query<{ n: number }>("SELECT count() AS n FROM audit_events WHERE organizationId = 'org-mark'"))[0].n).toBe(2);
      expect(await progress.watermark()).toBeNull();
      // A rebuild that completes resets the mark too, then releases the hold: the projector's next mark counts again.
      const total = await pgCount();
      expect(await rebuilder.rebuild({})).toMatchObject({ postgres: total, clickhouse: total });
      expect(await progress.watermark()).toBeNull();
      const next = canonicalEvent({ organizationId: 'org-mark', actionType: 'LOGOUT', createdAt: '2026-11-27T13:00:00.000Z' });
      await publish([next]);
      await settle();
      expect(await progress.watermark()).toBe(Date.parse(next.receivedAt));
    });
  });

  it('every action type projects (the subject carries it) and the rollup has one row per type', async () => {
    const events = ACTION_TYPES.map((actionType, i) =>
      canonicalEvent({ organizationId: 'org-types', actionType, responseTimeMs: i, createdAt: new Date(Date.UTC(2026, 10, 26, 5, 0, i)).toISOString() }),
    );
    await publish(events);
    await settle();
    expect(await rollupAggregate('org-types')).toEqual(expectedAggregate(events));
  });
});
