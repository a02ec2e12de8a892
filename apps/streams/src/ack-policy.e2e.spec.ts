import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { SignJWT } from 'jose';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { canonicalEvent, connectTestBus, createTestDatabase, startService, startTestNats, waitFor, type RunningService, type TestBus, type TestDatabase, type TestNats } from '@audit/testing';
import { streamsServiceEnv } from './streams.e2e-helpers';

jest.setTimeout(120_000);

const JWT_SECRET = 'ack-policy-test-secret-0123456789';

/** A webhook receiver that can hold its answers: a request it holds was received but never answered. */
class HoldingReceiver {
  readonly bodies: string[] = [];
  hold = false;
  private readonly held: ServerResponse[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.bodies.push(Buffer.concat(chunks).toString('utf8'));
        if (this.hold) {
          this.held.push(res);
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Event ids of every request received, in arrival order (duplicates kept). */
  ids(): string[] {
    return this.bodies.flatMap((b) => (JSON.parse(b) as { events: AuditEvent[] }).events.map((e) => e.id));
  }

  async stop(): Promise<void> {
    for (const res of this.held.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/**
 * The streams acknowledge cumulatively (one ack per delivered run, AckPolicy.All): a replica killed between
 * delivering and acknowledging must leave its events to be sent again, never skipped; and a stream's consumer
 * made by an older version (one ack per event) is recreated at its ack floor, skipping nothing above it.
 */
describe('streams app: cumulative acknowledgement', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let receiver: HoldingReceiver;
  let service: RunningService | undefined;

  const env = (): Record<string, string> => ({ ...streamsServiceEnv(db.url, nats, JWT_SECRET), CONSUMER_ACK_WAIT: '2s' });
  const api = async <T>(org: string, method: string, at: string, body?: unknown): Promise<T> => {
    const token = await new SignJWT({ org, role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));
    const response = await fetch(`${service?.url}${at}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${at}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const publish = async (events: AuditEvent[]): Promise<void> => {
    for (let i = 0; i < events.length; i += 500) {
      await Promise.all(events.slice(i, i + 500).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
    }
  };
  const eventsOf = (org: string, n: number): AuditEvent[] => Array.from({ length: n }, (_, i) => canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId: `u${i}` }));

  beforeAll(async () => {
    db = await createTestDatabase('audit_streams_ack_policy');
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    receiver = new HoldingReceiver();
    await receiver.start();
  });

  afterEach(async () => {
    await service?.stop().catch(() => undefined);
    service = undefined;
  });

  afterAll(async () => {
    await receiver?.stop();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
  });

  it('sends again what a killed replica delivered but had not acknowledged, and loses nothing', async () => {
    service = await startService('streams', env());
    const { id } = await api<{ id: string }>('crash', 'POST', '/v1/streams', {
      name: 'hook',
      destination: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/crash`, secrets: ['ack-policy-webhook-secret'] },
    });
    // The API records the stream's creation as an event of the organization: the stream delivers it first.
    await waitFor("the stream's creation record delivered", () => receiver.bodies.length > 0);
    const events = eventsOf('crash', 3000);
    const wanted = new Set(events.map((e) => e.id));
    // From now the receiver takes each request and never answers it: the replica cannot have acked them.
    receiver.hold = true;
    await publish(events);
    await waitFor('a request held by the receiver', () => receiver.ids().some((e) => wanted.has(e)));
    service.process.kill('SIGKILL');
    await new Promise((resolve) => service?.process.once('exit', resolve));
    const heldIds = receiver.ids().filter((e) => wanted.has(e));
    const before = receiver.bodies.length;
    receiver.hold = false;

    // Another replica takes the stream once the dead one's lease ran out.
    service = await startService('streams', env());
    await waitFor('every event received', () => new Set(receiver.ids().filter((e) => wanted.has(e))).size === wanted.size, 90_000);
    const after = receiver.bodies.slice(before).flatMap((b) => (JSON.parse(b) as { events: AuditEvent[] }).events.map((e) => e.id));
    // What the killed replica had sent came again: it was never acknowledged.
    expect(heldIds.length).toBeGreaterThan(0);
    expect(heldIds.filter((e) => !after.includes(e))).toEqual([]);
    const consumer = await waitFor('the consumer settled', async () => {
      const info = await bus.jsm.consumers.info(STREAMS.events, `stream-${id}`);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    });
    expect(consumer.config.ack_policy).toBe(AckPolicy.All);
  });

  it("recreates a stream's consumer made with one ack per event at its ack floor: nothing at or below it again, nothing above it skipped", async () => {
    service = await startService('streams', env());
    const { id } = await api<{ id: string }>('floor', 'POST', '/v1/streams', {
      name: 'hook',
      paused: true,
      destination: { type: 'webhook', url: `http://127.0.0.1:${receiver.port}/floor`, secrets: ['ack-policy-webhook-secret'] },
    });
    const events = eventsOf('floor', 200);
    await publish(events);
    // The consumer as the older version made it, having acked the first 50 of its messages and one further on.
    const durable = `stream-${id}`;
    await bus.jsm.consumers.add(STREAMS.events, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'audit.events.floor.>',
      ack_wait: 2_000_000_000,
      max_deliver: -1,
    });
    const consumer = await bus.js.consumers.get(STREAMS.events, durable);
    const pulled: string[] = [];
    const batch = await consumer.fetch({ max_messages: 60, expires: 2_000 });
    let n = 0;
    for await (const m of batch) {
      const event = JSON.parse(m.string()) as AuditEvent;
      pulled.push(event.id);
      if (n < 50 || n === 55) m.ack();
      n++;
      if (n === 60) break;
    }
    await waitFor('the acks recorded', async () => (await bus.jsm.consumers.info(STREAMS.events, durable)).ack_floor.consumer_seq >= 50);
    const acked = new Set(pulled.slice(0, 50));
    const first = receiver.bodies.length;

    await api('floor', 'POST', `/v1/streams/${id}/resume`);
    const wanted = events.map((e) => e.id).filter((e) => !acked.has(e));
    const received = (): string[] => receiver.bodies.slice(first).flatMap((b) => (JSON.parse(b) as { events: AuditEvent[] }).events.map((e) => e.id));
    await waitFor('every event above the floor received', () => wanted.every((e) => received().includes(e)), 60_000);
    const ours = received().filter((e) => events.some((x) => x.id === e));
    expect(ours.filter((e) => acked.has(e))).toEqual([]);
    expect([...new Set(ours)]).toEqual(wanted);
    const info = await bus.jsm.consumers.info(STREAMS.events, durable);
    expect(info.config.ack_policy).toBe(AckPolicy.All);
  });
});
