import { SignJWT } from 'jose';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  startService,
  startTestNats,
  TestReceiver,
  waitFor,
  type RunningService,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(240_000);

const JWT_SECRET = 'streams-lease-fault-secret-0123456789';
const ORG = 'fault_lease';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two replicas of the streams service; the one holding the stream's lease is frozen (SIGSTOP) mid-stream for
 * longer than its lease and the consumer's ack wait, so the other takes the stream over, then thawed
 * (SIGCONT) while events keep coming: for a moment both pull the same consumer. The receiver must still get
 * every event, and the consumer must end with nothing pending.
 */
describe('fault suite: a streams replica frozen past its lease, then thawed', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let receiver: TestReceiver;
  const replicas: RunningService[] = [];

  const env = (): Record<string, string> => ({
    DATABASE_URL: db.url,
    ...nats.env('streams'),
    NATS_PROVISION_STREAMS: 'false',
    AUTH_JWT_SECRET: JWT_SECRET,
    STREAMS_ALLOW_PRIVATE_NETWORKS: 'true',
    STREAMS_REFRESH_INTERVAL: '200ms',
    STREAMS_FLUSH_INTERVAL: '50ms',
    CONSUMER_ACK_WAIT: '2s',
  });

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('faults_streams_lease'), startTestNats()]);
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    for (const r of replicas) {
      r.process.kill('SIGCONT');
      await r.kill();
    }
    await receiver?.stop();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
  });

  it('delivers every event, with nothing left pending', async () => {
    receiver.respond('/hook', () => 200);
    const first = await startService('streams', env());
    replicas.push(first);
    const token = await new SignJWT({ org: ORG, role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));
    const created = await fetch(`${first.url}/v1/streams`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'hook', destination: { type: 'webhook', url: receiver.url('/hook'), secrets: ['lease-fault-webhook-secret'] } }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await waitFor("the stream's creation record delivered", () => receiver.on('/hook').length > 0);
    // The second replica finds the stream leased by the first.
    replicas.push(await startService('streams', env()));

    const events = Array.from({ length: 3_000 }, (_, i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `u${i}`, metadata: { i } }));
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 50) {
        await Promise.all(events.slice(i, Math.min(to, i + 50)).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
        await sleep(20);
      }
    };
    await publish(0, 1_000);
    first.process.kill('SIGSTOP');
    // Publishing goes on while the first replica is frozen: its lease (10 s) and the handover rest (1.5 × 2 s) pass.
    await Promise.all([publish(1_000, 2_000), sleep(16_000)]);
    first.process.kill('SIGCONT');
    await publish(2_000, 3_000);

    const accepted = (): string[] =>
      receiver
        .on('/hook')
        .filter((r) => r.status < 300)
        .flatMap((r) => (JSON.parse(r.body) as { events: AuditEvent[] }).events.map((e) => e.id));
    await waitFor('every event delivered', () => new Set(accepted()).size >= events.length + 1, 90_000).catch((error: Error) => {
      const seen = new Set(accepted());
      const missing = events.filter((e) => !seen.has(e.id)).map((e) => (e.metadata as { i: number }).i);
      throw new Error(`${error.message}: ${missing.length} missing, e.g. ${missing.slice(0, 20).join(', ')}`);
    });
    await waitFor('the consumer settled', async () => {
      const info = await bus.jsm.consumers.info(STREAMS.events, `stream-${id}`);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 60_000);
    // Order is not asserted: the thawed replica pulls the consumer again before its next refresh tells it the
    // lease is gone, so for a moment two clients share the consumer and the receiver sees some events late
    // (docs/scaling.md, "Streams: replicas, order and fairness"). Nothing may be lost.
    const index = new Map(events.map((e, i) => [e.id, i]));
    const order = [...new Set(accepted())].filter((e) => index.has(e)).map((e) => index.get(e) as number);
    let highest = -1;
    const late = order.filter((i) => (i < highest ? true : ((highest = i), false)));
    console.log(`[fault suite] streams lease: ${accepted().length - new Set(accepted()).size} events delivered more than once, ${late.length} first seen after a later one`);
  });
});
