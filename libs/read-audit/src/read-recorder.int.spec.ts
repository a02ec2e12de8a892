import { Logger } from '@nestjs/common';
import { register } from 'prom-client';
import { ActivityRecorder, EventPublisher, JetStreamConnection, readMessagingConfig, STREAMS, type Activity } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { connectTestBus, readStream, startTestNats, type TestBus, type TestNats } from '@audit/testing';
import { ReadRecorder } from './read-recorder';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const read = (userId: string, path = '/v1/events'): Activity => ({
  organizationId: 'org-reads',
  actionType: 'PAGE_VIEW',
  userId,
  pageName: 'audit',
  ipAddress: '203.0.113.7',
  metadata: { path, filters: { limit: '5' } },
});

interface StoredView {
  actionType: string;
  organizationId: string;
  userId: string;
  pageName: string;
  ipAddress: string;
  createdAt: string;
  metadata: { path: string };
}

const recordedCount = async (result: 'recorded' | 'failed'): Promise<number> => {
  const metric = await register.getSingleMetric('audit_admin_reads_recorded_total')?.get();
  return metric?.values.find((v) => v.labels.result === result)?.value ?? 0;
};

describe('ReadRecorder (real NATS JetStream)', () => {
  let nats: TestNats;
  let bus: TestBus;
  let connection: JetStreamConnection;
  let reads: ReadRecorder;

  const views = async (): Promise<StoredView[]> => (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as StoredView);

  beforeAll(async () => {
    nats = await startTestNats();
    connection = new JetStreamConnection(readMessagingConfig({ NATS_URL: nats.url }), new HealthRegistry());
    await connection.onModuleInit();
    reads = new ReadRecorder(new ActivityRecorder(new EventPublisher(connection)));
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    await bus?.close();
    await connection?.onApplicationShutdown();
    await nats?.destroy();
  });

  it('publishes every queued read as its own event, dated when the read was answered', async () => {
    const before = await recordedCount('recorded');
    const t0 = Date.parse('2026-11-29T10:00:00.000Z');
    const answered = [new Date(t0), new Date(t0 + 1), new Date(t0 + 2)];
    await Promise.all(['ada', 'bob', 'cy'].map((user, i) => reads.add(read(user, `/v1/events/${i}`), answered[i])));
    const stored = await views();
    expect(stored.map((v) => [v.userId, v.metadata.path, v.createdAt])).toEqual([
      ['ada', '/v1/events/0', '2026-11-29T10:00:00.000Z'],
      ['bob', '/v1/events/1', '2026-11-29T10:00:00.001Z'],
      ['cy', '/v1/events/2', '2026-11-29T10:00:00.002Z'],
    ]);
    expect(stored[0]).toMatchObject({ actionType: 'PAGE_VIEW', organizationId: 'org-reads', pageName: 'audit', ipAddress: '203.0.113.7' });
    expect((await recordedCount('recorded')) - before).toBe(3);
  });

  it('holds reads for the delay, and publishes a full batch at once', async () => {
    const patient = new ReadRecorder(new ActivityRecorder(new EventPublisher(connection)), { delayMs: 3_600_000, max: 3 });
    const count = (await views()).length;
    const added = async (): Promise<string[]> => (await views()).slice(count).map((v) => v.userId);
    let settled = 0;
    const held = [patient.add(read('held-1')), patient.add(read('held-2'))].map((p) => p.then(() => settled++));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await added()).toEqual([]);
    expect(settled).toBe(0);
    await Promise.all([...held, patient.add(read('held-3'))]);
    expect(await added()).toEqual(['held-1', 'held-2', 'held-3']);
  });

  it('publishes the queued reads on shutdown, before the connection drains', async () => {
    const count = (await views()).length;
    const recorded = reads.add(read('dee'));
    await reads.beforeApplicationShutdown();
    await recorded;
    expect((await views()).slice(count).map((v) => v.userId)).toEqual(['dee']);
  });

  it('fails a read the bus cannot take, and counts it, while drain still resolves', async () => {
    const failedBefore = await recordedCount('failed');
    await nats.stop();
    try {
      const outcome = reads.add(read('eve')).then(
        () => 'recorded',
        (error: unknown) => (error as { code?: string }).code,
      );
      await reads.drain();
      expect(await outcome).toBe('BUS_UNAVAILABLE');
      expect((await recordedCount('failed')) - failedBefore).toBe(1);
    } finally {
      await nats.start();
    }
  });
});
