import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  privateClickHousePath,
  ROLLUP_CHECKS,
  rollupDifferenceQuery,
  runCliProcess,
  startService,
  startTestNats,
  waitFor,
  waitForConsumerIdle,
  type RunningService,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(420_000);

const EVENTS = 6_000;
// Four in `npm test`; `npm run test:faults` (FAULT_KILLS=8) kills twice as often. Each kill costs a projector's
// start on embedded chDB (10-25 s of the file's time on CI), and the store fault suite kills projectors at random too.
const KILLS = Number(process.env.FAULT_KILLS ?? 4);
const ORGS = ['kill-a', 'kill-b', 'kill-c'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The projector as its own process on embedded chDB, SIGKILLed again and again while events stream in
 * (each kill lands while a batch is delivered and not yet acknowledged, so mostly inside an INSERT), then
 * restarted on the same data, as Kubernetes restarts a crashed pod. Afterwards every id is in
 * `audit_events` exactly once, in the registry, and both rollups equal a direct aggregate of the events.
 * Before the registry, a kill between an INSERT's event rows and its view rows left the rollups short for
 * good (seen in 2 runs of 9); the deterministic form of that window is in events.repository.int.spec.ts.
 */
describe('projector: SIGKILLed repeatedly mid-stream, and SIGTERMed inside a batch over many months', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  const store = privateClickHousePath();
  let env: Record<string, string>;
  let projector: RunningService | undefined;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('projector_kill'), startTestNats()]);
    bus = await connectTestBus(nats.url);
    env = {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      CLICKHOUSE_PATH: store.path,
      CLICKHOUSE_DATABASE: 'audit',
      // Small batches, so a kill finds one in flight; a short ack wait, so a killed batch comes back soon.
      PROJECTOR_BATCH_SIZE: '400',
      PROJECTOR_FLUSH_INTERVAL: '50ms',
      CONSUMER_ACK_WAIT: '3s',
    };
  });

  afterAll(async () => {
    await projector?.kill();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
    store.remove();
  });

  /** Three organizations over three days across a month edge and one day two years before, 1 in 4 without a response time. */
  const events: AuditEvent[] = Array.from({ length: EVENTS }, (_, i) =>
    canonicalEvent({
      organizationId: ORGS[i % ORGS.length],
      actionType: (['LOGIN', 'QUERY_RUN', 'PAGE_VIEW', 'LOGOUT'] as const)[i % 4],
      userId: `user-${i % 37}`,
      user: { email: `user-${i % 37}@example.com`, userName: `User ${i % 37}` },
      ipAddress: `198.51.100.${i % 97}`,
      responseTimeMs: i % 4 === 0 ? null : (i * 13) % 2_000,
      metadata: { i },
      createdAt: new Date(i % 10 === 0 ? Date.UTC(2024, 5, 1) + i * 7_000 : Date.UTC(2026, 9, 30) + i * 43_000).toISOString(),
    }),
  );

  const sql = async <T>(query: string): Promise<T[]> => {
    const result = await runCliProcess(['sql', query, '--format', 'json'], env);
    if (result.code !== 0) throw new Error(`cli sql exited with ${result.code}:\n${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T[];
  };

  /** A rollup against its direct aggregate, compared inside ClickHouse (the rows themselves are too many to print). */
  const differences = async (check: { rollup: string; events: string }): Promise<{ missing: number; extra: number; rows: number }> => {
    const [row] = await sql<{ missing: number; extra: number; rows: number }>(rollupDifferenceQuery(check));
    return { missing: Number(row.missing), extra: Number(row.extra), rows: Number(row.rows) };
  };

  it('every id stored once and registered, both rollups equal to a direct aggregate of the events', async () => {
    projector = await startService('projector', env, 120_000);

    let published = false;
    const publishing = (async () => {
      for (let i = 0; i < events.length; i += 250) {
        await Promise.all(
          events.slice(i, i + 250).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })),
        );
        await sleep(1_000);
      }
      published = true;
    })();

    let kills = 0;
    let seed = 7;
    const nextDelay = (): number => (seed = (seed * 48_271) % 2_147_483_647) % 400;
    while (kills < KILLS) {
      // A batch delivered and not acknowledged yet: the process is inside it (decoding, checking or inserting).
      const state = await waitFor(
        'a batch in flight, or nothing left to do',
        async () => {
          const info = await bus.jsm.consumers.info(STREAMS.events, 'projector');
          if (info.num_ack_pending > 0) return 'busy';
          return published && info.num_pending === 0 ? 'idle' : false;
        },
        120_000,
        10,
      );
      if (state === 'idle') break;
      await sleep(nextDelay());
      await projector.kill();
      kills += 1;
      projector = await startService('projector', env, 120_000);
    }
    await publishing;
    const lastStart = performance.now();
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 180_000);
    // The figure the fault suite reports: from the last restart to everything acknowledged.
    process.stdout.write(`projector kill test: ${kills} SIGKILLs, settled ${((performance.now() - lastStart) / 1000).toFixed(1)} s after the last restart\n`);
    await projector.stop();
    projector = undefined;
    expect(kills).toBeGreaterThanOrEqual(KILLS / 2);

    const [totals] = await sql<{ n: number; ids: number; registered: number }>(
      `SELECT count() AS n, uniqExact(organizationId, id) AS ids, (SELECT uniqExact(organizationId, id) FROM audit_event_ids) AS registered FROM audit_events`,
    );
    expect({ n: Number(totals.n), ids: Number(totals.ids), registered: Number(totals.registered) }).toEqual({ n: EVENTS, ids: EVENTS, registered: EVENTS });
    const hourly = await differences(ROLLUP_CHECKS.hourly);
    expect(hourly.rows).toBeGreaterThan(100);
    expect(hourly).toEqual({ missing: 0, extra: 0, rows: hourly.rows });
    const daily = await differences(ROLLUP_CHECKS.dailyUsers);
    expect(daily).toEqual({ missing: 0, extra: 0, rows: daily.rows });
    const summary = await differences(ROLLUP_CHECKS.hourlySummary);
    expect(summary).toEqual({ missing: 0, extra: 0, rows: summary.rows });
  });

  it('SIGTERM while a batch over 120 months is in flight: exits 0 having handed back what it had not stored; the next projector completes it exactly', async () => {
    const spread = Array.from({ length: 10_000 }, (_, i) =>
      canonicalEvent({
        organizationId: i % 2 ? 'term-a' : 'term-b',
        actionType: i % 3 ? 'QUERY_RUN' : 'LOGIN',
        userId: `user-${i % 23}`,
        responseTimeMs: i % 1_000,
        createdAt: new Date(Date.UTC(2016, i % 120, 1 + (i % 27), i % 24)).toISOString(),
      }),
    );
    projector = await startService('projector', { ...env, PROJECTOR_BATCH_SIZE: '5000' }, 120_000);
    for (let i = 0; i < spread.length; i += 500) {
      await Promise.all(spread.slice(i, i + 500).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
    }
    await waitFor('a batch in flight', async () => (await bus.jsm.consumers.info(STREAMS.events, 'projector')).num_ack_pending > 0, 60_000, 10);
    const started = performance.now();
    expect(await projector.stop()).toBe(0);
    process.stdout.write(`projector SIGTERM with a batch over 120 months in flight: exited after ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    projector = undefined;
    // It stopped without first storing everything it had received: the rest went back to the stream.
    const handedBack = await bus.jsm.consumers.info(STREAMS.events, 'projector');
    expect(handedBack.num_pending + handedBack.num_ack_pending).toBeGreaterThan(0);

    projector = await startService('projector', env, 120_000);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 300_000);
    await projector.stop();
    projector = undefined;

    const [totals] = await sql<{ n: number; ids: number; registered: number }>(
      `SELECT count() AS n, uniqExact(organizationId, id) AS ids, (SELECT uniqExact(organizationId, id) FROM audit_event_ids) AS registered FROM audit_events`,
    );
    const all = EVENTS + spread.length;
    expect({ n: Number(totals.n), ids: Number(totals.ids), registered: Number(totals.registered) }).toEqual({ n: all, ids: all, registered: all });
    const hourly = await differences(ROLLUP_CHECKS.hourly);
    expect(hourly).toEqual({ missing: 0, extra: 0, rows: hourly.rows });
    const daily = await differences(ROLLUP_CHECKS.dailyUsers);
    expect(daily).toEqual({ missing: 0, extra: 0, rows: daily.rows });
    const summary = await differences(ROLLUP_CHECKS.hourlySummary);
    expect(summary).toEqual({ missing: 0, extra: 0, rows: summary.rows });
  });
});
