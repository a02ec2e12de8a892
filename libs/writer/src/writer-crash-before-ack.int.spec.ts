import { Client } from 'pg';
import { eventsSubject, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  metricSample,
  scrapeMetrics,
  startService,
  startTcpProxy,
  startTestNats,
  waitFor,
  waitForConsumerIdle,
  type RunningService,
  type TcpProxy,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(90_000);

const N = 25;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The writer commits a batch, then dies before the server learns of its acks: the server must redeliver
 * the batch to the next writer, and the next writer must store nothing twice.
 *
 * Why not only SIGSTOP the nats-server: a frozen server still has its kernel socket buffers. The acks the
 * writer sends after its commit land there, and when the server is resumed it reads and applies them,
 * even though the writer has died in between (observed: ack floor at N, num_redelivered 0, nothing
 * redelivered). That test would pass without exercising redelivery at all. So the acks are lost for real:
 * 1. by a network partition between the writer and the bus (a proxy that discards every byte), the bus
 *    staying up; 2. by freezing the server (SIGSTOP) and then killing it before it reads its buffers,
 *    restarting it from its store.
 */
describe('writer: a batch committed by a process that dies before its ack reaches the bus', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let proxy: TcpProxy;
  const services: RunningService[] = [];
  const lockers: Client[] = [];

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('writer_crash'), startTestNats()]);
    [bus, proxy] = await Promise.all([connectTestBus(nats.url), startTcpProxy(nats.port)]);
  });

  // Each test starts its own writers: none may outlive it, or it would take the next test's messages.
  afterEach(async () => {
    nats?.resume();
    proxy?.heal();
    for (const locker of lockers.splice(0)) await locker.end().catch(() => undefined);
    for (const service of services.splice(0)) await service.kill();
  });

  afterAll(async () => {
    await proxy?.close();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
  });

  const startWriter = async (natsUrl: string): Promise<RunningService> => {
    const service = await startService('writer', {
      DATABASE_URL: db.url,
      NATS_URL: natsUrl,
      CONSUMER_ACK_WAIT: '2s',
      WRITER_FLUSH_INTERVAL: '20ms',
    });
    services.push(service);
    return service;
  };

  const countRows = async (org: string): Promise<{ total: number; ids: number }> =>
    (
      await db.query<{ total: number; ids: number }>(
        'SELECT count(*)::int AS total, count(DISTINCT id)::int AS ids FROM audit_trail_events WHERE "organizationId" = $1',
        [org],
      )
    )[0];

  const metric = async (service: RunningService, name: string, labels: Record<string, string>): Promise<number> =>
    metricSample(await scrapeMetrics(service.url), name, labels) ?? 0;
  const duplicatesSkipped = (service: RunningService) => metric(service, 'audit_writer_rows_total', { result: 'duplicate' });

  /**
   * Publishes N events while the table is locked, and returns once the writer holds all of them in batches
   * blocked on the lock: delivered by the server (unacknowledged) and received by the process.
   */
  const publishBlocked = async (writer: RunningService, org: string): Promise<{ seqs: number[]; locker: Client }> => {
    const locker = new Client({ connectionString: db.url });
    lockers.push(locker);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE audit_trail_events IN ACCESS EXCLUSIVE MODE');
    const events = Array.from({ length: N }, (_, i) =>
      canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId: `user-${i}`, metadata: { i } }),
    );
    const acks = await Promise.all(
      events.map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })),
    );
    await waitFor('the whole batch to be delivered and unacknowledged', async () => {
      const info = await bus.jsm.consumers.info(STREAMS.events, 'writer');
      return info.num_ack_pending === N && info.num_pending === 0;
    });
    // The server counts a message as delivered once sent; wait until the writer has really taken every one.
    await waitFor('the writer to hold the whole batch', async () => (await metric(writer, 'audit_consumer_batch_size_sum', { consumer: 'writer' })) === N);
    return { seqs: acks.map((a) => a.seq), locker };
  };

  it('acks lost in a network partition: the bus redelivers to the next writer, which stores nothing twice', async () => {
    const org = 'org_partition';
    const first = await startWriter(`nats://127.0.0.1:${proxy.port}`);
    const before = await bus.jsm.consumers.info(STREAMS.events, 'writer');
    const { locker } = await publishBlocked(first, org);

    proxy.partition();
    await locker.query('COMMIT');
    await waitFor('the blocked batch to be committed', async () => (await countRows(org)).total === N);
    // The writer acks right after its commit; give the acks time to be sent (and discarded) before it dies.
    await sleep(300);
    await first.kill();

    const orphaned = await bus.jsm.consumers.info(STREAMS.events, 'writer');
    expect(orphaned.num_ack_pending).toBe(N);
    expect(orphaned.ack_floor.stream_seq).toBe(before.ack_floor.stream_seq);
    proxy.heal();

    const second = await startWriter(nats.url);
    const consumer = await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 30_000);
    // Every message was delivered at least twice: to the writer that died, and again after the ack wait
    // (a third time if the ack wait also ran out while the first writer was cut off).
    expect(consumer.delivered.consumer_seq - before.delivered.consumer_seq).toBeGreaterThanOrEqual(2 * N);
    // The next writer got the whole batch again and wrote none of it.
    expect(await duplicatesSkipped(second)).toBeGreaterThanOrEqual(N);
    expect(await metric(second, 'audit_writer_rows_total', { result: 'inserted' })).toBe(0);
    expect(await countRows(org)).toEqual({ total: N, ids: N });
  });

  it('acks unread by a frozen bus that is then killed: the restarted bus redelivers, nothing is stored twice', async () => {
    const org = 'org_frozen';
    const first = await startWriter(nats.url);
    const { seqs, locker } = await publishBlocked(first, org);

    await nats.pause();
    await locker.query('COMMIT');
    await waitFor('the blocked batch to be committed', async () => (await countRows(org)).total === N);
    await sleep(300);
    await first.kill();
    // The acks sit unread in the frozen server's socket buffers; killing it loses them.
    await nats.kill();
    await nats.start();

    // None of this batch is acknowledged on the restarted server. (It may also have forgotten older acks: a
    // killed nats-server 2.9 restores consumer state as last flushed. Those messages come back as well.)
    const restored = await waitFor('the restarted bus to answer', () => bus.jsm.consumers.info(STREAMS.events, 'writer'));
    expect(restored.ack_floor.stream_seq).toBeLessThan(Math.min(...seqs));
    const redelivered = restored.num_ack_pending + restored.num_pending;
    expect(redelivered).toBeGreaterThanOrEqual(N);

    const second = await startWriter(nats.url);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 30_000);
    // Every redelivered message was already stored: all skipped, none written twice.
    expect(await duplicatesSkipped(second)).toBe(redelivered);
    expect(await metric(second, 'audit_writer_rows_total', { result: 'inserted' })).toBe(0);
    expect(await countRows(org)).toEqual({ total: N, ids: N });
  });
});
