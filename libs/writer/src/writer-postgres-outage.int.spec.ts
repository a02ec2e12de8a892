import { Client } from 'pg';
import { eventsSubject, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  metricSample,
  readStream,
  scrapeMetrics,
  startPrivatePostgres,
  startTestNats,
  superviseService,
  waitFor,
  waitForConsumerIdle,
  type SupervisedService,
  type TestBus,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(120_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Postgres goes away while events keep arriving. Every failed batch must be retried (never dropped, never
 * dead-lettered) and every event must end up stored exactly once when Postgres is back.
 *
 * The writer runs as its own process under a supervisor that restarts it if it dies, as Kubernetes
 * would: the guarantee under test is "nothing lost, nothing doubled", whatever the process does. (A
 * connection lost mid-transaction currently crashes the process: see database-connection-loss.int.spec.ts.)
 */
describe('writer: Postgres stopped mid-stream, then restarted', () => {
  let pg: Awaited<ReturnType<typeof startPrivatePostgres>>;
  let nats: TestNats;
  let bus: TestBus;
  let writer: SupervisedService | undefined;
  let sql: Client | undefined;

  beforeAll(async () => {
    [pg, nats] = await Promise.all([startPrivatePostgres(), startTestNats()]);
    bus = await connectTestBus(nats.url);
    writer = await superviseService('writer', {
      DATABASE_URL: pg.url,
      NATS_URL: nats.url,
      CONSUMER_ACK_WAIT: '2s',
      WRITER_FLUSH_INTERVAL: '20ms',
      WRITER_BATCH_SIZE: '50',
    });
  });

  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    await writer?.stop();
    await bus?.close();
    await nats?.destroy();
    await pg?.destroy();
  });

  it('stores every event exactly once and dead-letters none', async () => {
    const published: string[] = [];
    let publishing = true;
    // A steady trickle of events across the whole outage, as live traffic would be.
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        const event = canonicalEvent({ organizationId: 'org_outage', actionType: 'LOGIN', userId: `user-${i % 7}`, metadata: { i } });
        await bus.js.publish(eventsSubject(event.organizationId, event.actionType), JSON.stringify(event), { msgID: event.id });
        published.push(event.id);
        await sleep(10);
      }
    })();

    await sleep(1_000);
    const beforeOutage = published.length;
    await pg.stop();
    await sleep(3_000);
    const duringOutage = published.length - beforeOutage;
    await pg.start();
    await sleep(1_000);
    publishing = false;
    await publisher;

    // The outage really happened mid-stream: events were published before, during and after it.
    expect(beforeOutage).toBeGreaterThan(10);
    expect(duringOutage).toBeGreaterThan(10);
    expect(published.length - beforeOutage - duringOutage).toBeGreaterThan(10);

    sql = new Client({ connectionString: pg.url });
    await sql.connect();
    const client = sql;
    await waitFor(
      `all ${published.length} events to be stored`,
      async () => (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events')).rows[0].n >= published.length,
      60_000,
      250,
    );
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 30_000);

    const { rows } = await client.query<{ id: string }>('SELECT id FROM audit_trail_events');
    expect(rows).toHaveLength(published.length);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(published));
    expect(await readStream(bus.jsm, STREAMS.dlq)).toEqual([]);
    // The writer felt the outage: its batches failed and were retried (or, today, the process died and its
    // batches were redelivered to the restarted one).
    const service = writer?.current();
    const metrics = service ? await scrapeMetrics(service.url) : '';
    const nacked = metricSample(metrics, 'audit_consumer_messages_total', { consumer: 'writer', outcome: 'nacked' }) ?? 0;
    expect((writer?.crashes.length ?? 0) > 0 || nacked > 0).toBe(true);
  });
});
