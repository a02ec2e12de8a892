import fc from 'fast-check';
import { AckPolicy, DeliverPolicy, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { eventJson } from '@audit/contracts';
import { DLQ_HEADERS, dlqSubject, eventsSubject, JetStreamConnection, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { canonicalEvent, connectTestBus, startTestNats, waitFor, type TestBus, type TestNats } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';
import { readSealerConfig } from './config';
import { PENDING_SCAN_LIMIT, ReceivedThroughBound, type BusFloor } from './received-through-bound';

jest.setTimeout(180_000);

const MARGIN_MS = 2_000;
const DAY = 86_400_000;

/**
 * The bound against a real nats-server, read as the sealer's own NATS user: the `sealer` durable's ack
 * floor is moved by hand (pull, ack a prefix), so what lies past it is known to the test.
 */
describe('ReceivedThroughBound on the bus', () => {
  let nats: TestNats;
  let bus: TestBus;
  let connection: JetStreamConnection;
  let bound: ReceivedThroughBound;
  let durable: Consumer;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    // The durable as the sealer's consumer makes it, but nobody consumes it: the test moves its ack floor.
    await bus.jsm.consumers.add(STREAMS.events, {
      durable_name: 'sealer',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: 'audit.events.>',
      ack_wait: nanos(3_600_000),
      max_ack_pending: 100_000,
      max_deliver: -1,
    });
    durable = await bus.js.consumers.get(STREAMS.events, 'sealer');
    connection = new JetStreamConnection(readMessagingConfig({ ...nats.env('sealer'), NATS_PROVISION_STREAMS: 'false' }), new HealthRegistry());
    await connection.onModuleInit();
    bound = new ReceivedThroughBound(readSealerConfig({ SEAL_PRIVATE_KEY: generateNoteKey('audit.test').signerKey, SEAL_RECEIVED_MARGIN: '2s' }), connection);
  });

  afterAll(async () => {
    await connection?.onApplicationShutdown();
    await bus?.close();
    await nats?.destroy();
  });

  interface Published {
    seq: number;
    organizationId: string;
    receivedAtMs: number;
  }

  /** Publishes canonical events received at the given times, in order, and returns their stream sequences. */
  async function publish(events: ReadonlyArray<{ organizationId: string; receivedAtMs: number }>): Promise<Published[]> {
    const published: Published[] = [];
    for (const { organizationId, receivedAtMs } of events) {
      const event = canonicalEvent({ organizationId, actionType: 'LOGIN', userId: 'u-1' }, new Date(receivedAtMs));
      const ack = await bus.js.publish(eventsSubject(organizationId, 'LOGIN'), eventJson(event), { msgID: event.id });
      published.push({ seq: ack.seq, organizationId, receivedAtMs });
    }
    return published;
  }

  /** Pulls the next `count` messages of the durable, acks those `ack` picks and returns the others, delivered and unacked (past the floor). */
  async function deliver(count: number, ack: (index: number) => boolean): Promise<JsMsg[]> {
    const unacked: JsMsg[] = [];
    let index = 0;
    while (index < count) {
      // A long expiry: a pull that ends with messages under way (a loaded machine) would strand them, delivered and unacked.
      const batch = await durable.fetch({ max_messages: count - index, expires: 30_000 });
      const before = index;
      for await (const message of batch) {
        if (ack(index)) await message.ackAck();
        else unacked.push(message);
        index++;
      }
      if (index === before) throw new Error(`the durable delivered nothing while ${count - index} were expected`);
    }
    return unacked;
  }

  /** Acks what was left unacked and everything not yet delivered, so the next case starts with the floor at the stream's end. */
  async function ackEverything(unacked: readonly JsMsg[] = []): Promise<void> {
    for (const message of unacked) await message.ackAck();
    const info = await bus.jsm.consumers.info(STREAMS.events, 'sealer');
    await deliver(info.num_pending, () => true);
    const after = await bus.jsm.consumers.info(STREAMS.events, 'sealer');
    expect(after.ack_floor.stream_seq).toBe(after.delivered.stream_seq);
  }

  const consumerNames = async (stream: string): Promise<string[]> => (await bus.jsm.consumers.list(stream).next()).map((c) => c.name);

  /** The JetStream API requests the sealer's connection makes while `work` runs (seen by the provisioner, who may read every subject). */
  async function apiRequests<T>(work: () => Promise<T>): Promise<{ result: T; requests: string[] }> {
    const requests: string[] = [];
    const sub = bus.nc.subscribe('$JS.API.>', { callback: (_error, message) => void requests.push(message.subject) });
    await bus.nc.flush();
    try {
      const result = await work();
      await bus.nc.flush();
      return { result, requests };
    } finally {
      sub.unsubscribe();
    }
  }

  const expectSound = (floor: BusFloor, pending: readonly Published[], organizationId: string): void => {
    const through = bound.receivedThrough(floor, organizationId);
    expect(through).not.toBeNull();
    const t = Date.parse(through ?? '');
    const oldest = Math.min(...pending.filter((p) => p.organizationId === organizationId && p.seq > floor.ackFloor).map((p) => p.receivedAtMs));
    // Every event past the floor is outside the tree: T is at least 1 ms before each, and before the margin.
    expect(t).toBeLessThanOrEqual(oldest - 1);
    expect(t).toBeLessThan(floor.readAtMs - MARGIN_MS);
    // No earlier than the bounds make it (AUDIT_INGEST is empty here).
    expect(t).toBe(Math.min(oldest, floor.readAtMs - MARGIN_MS) - 1);
  };

  it('reads thousands of messages past the ack floor in a handful of pull requests, and leaves no consumer behind', async () => {
    const now = Date.now();
    const organizations = ['org_a', 'org_b', 'org_c'];
    // org_c's oldest receivedAt sits near the end: a scan that stopped early would miss it.
    const events = Array.from({ length: 4_000 }, (_, i) => ({
      organizationId: organizations[i % 3],
      receivedAtMs: i === 3_800 ? now - 2 * DAY : now - DAY + i,
    }));
    const published = await publish(events);
    await deliver(1_000, () => true);

    const { result: floor, requests } = await apiRequests(() => bound.readFloor());
    expect(floor).not.toBeNull();
    if (floor === null) return;
    expect(floor.ackFloor).toBe(published[999].seq);
    expect(floor.behind).toBe(false);
    const pulls = requests.filter((s) => s.startsWith(`$JS.API.CONSUMER.MSG.NEXT.${STREAMS.events}.sealer_scan_`));
    // 3000 messages: three pulls of a thousand, not one request each.
    expect(pulls.length).toBeLessThanOrEqual(4);
    expect(requests.length).toBeLessThanOrEqual(12);
    for (const organizationId of organizations) expectSound(floor, published, organizationId);
    expect(floor.oldestPending.get('org_c')).toBe(now - 2 * DAY);
    // An organization with nothing past the floor is bounded by the margin alone.
    expect(bound.receivedThrough(floor, 'org_idle')).toBe(new Date(floor.readAtMs - MARGIN_MS - 1).toISOString());
    expect(await consumerNames(STREAMS.events)).toEqual(['sealer']);
    await ackEverything();
  });

  it('never vouches for a message past the ack floor: T ≤ the earliest pending receivedAt − 1 ms (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ org: fc.integer({ min: 0, max: 2 }), offsetMs: fc.integer({ min: -30 * DAY, max: -MARGIN_MS - 1 }) }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        async (drawn, ackedPrefix, ackedLater) => {
          run++;
          const now = Date.now();
          const organizations = [0, 1, 2].map((i) => `prop${run}_${i}`);
          const published = await publish(drawn.map(({ org, offsetMs }) => ({ organizationId: organizations[org], receivedAtMs: now + offsetMs })));
          const prefix = ackedPrefix % (published.length + 1);
          // A contiguous prefix moves the floor; later messages acked out of order are past it all the same.
          const unacked = await deliver(published.length, (i) => i < prefix || ackedLater[i]);
          try {
            const floor = await bound.readFloor();
            expect(floor).not.toBeNull();
            if (floor === null) return;
            expect(floor.ackFloor).toBeGreaterThanOrEqual(prefix === 0 ? 0 : published[prefix - 1].seq);
            for (const organizationId of organizations) {
              const past = published.filter((p) => p.organizationId === organizationId && p.seq > floor.ackFloor);
              if (past.length > 0) expectSound(floor, published, organizationId);
              else expect(floor.oldestPending.has(organizationId)).toBe(false);
            }
          } finally {
            // Each run starts with the floor at the stream's end, even after a failed one (shrinking reruns it).
            await ackEverything(unacked);
          }
        },
      ),
      // Each run is a few round trips to a real server: the first counterexample is reported as found.
      { numRuns: 12, endOnFailure: true },
    );
  });

  it("withholds the time of the organizations the sealer dead-lettered, only theirs, and every one's for a dead letter naming none", async () => {
    const now = Date.now();
    await publish([{ organizationId: 'dl_a', receivedAtMs: now - DAY }, { organizationId: 'dl_b', receivedAtMs: now - DAY }]);
    await ackEverything();
    const deadLetter = async (consumer: string, subject: string | undefined): Promise<void> => {
      const h = natsHeaders();
      h.set(DLQ_HEADERS.reason, 'test: no leaf can be made of it');
      h.set(DLQ_HEADERS.consumer, consumer);
      if (subject !== undefined) h.set(DLQ_HEADERS.subject, subject);
      await bus.js.publish(dlqSubject(consumer), '{"not":"an event"}', { headers: h });
    };
    await deadLetter('sealer', eventsSubject('dl_a', 'LOGIN'));
    // Another consumer's dead letter is its own business: the sealer appended that event.
    await deadLetter('writer', eventsSubject('dl_b', 'LOGIN'));

    const { result: floor, requests } = await apiRequests(() => bound.readFloor());
    expect(floor).not.toBeNull();
    if (floor === null) return;
    expect([...floor.deadLettered]).toEqual(['dl_a']);
    expect(bound.receivedThrough(floor, 'dl_a')).toBeNull();
    expect(bound.receivedThrough(floor, 'dl_b')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(requests.filter((s) => s.startsWith(`$JS.API.CONSUMER.CREATE.${STREAMS.dlq}.`))).toHaveLength(1);

    await deadLetter('sealer', undefined);
    expect(await bound.readFloor()).toBeNull();

    await bus.jsm.streams.purge(STREAMS.dlq, { filter: dlqSubject('sealer') });
    const cleared = await bound.readFloor();
    expect(cleared?.deadLettered.size).toBe(0);
    expect(cleared && bound.receivedThrough(cleared, 'dl_a')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await consumerNames(STREAMS.dlq)).toEqual([]);
  });

  it(`states no time while more than ${PENDING_SCAN_LIMIT} messages wait past the floor`, async () => {
    const body = (i: number) => JSON.stringify({ organizationId: 'bulk', receivedAt: new Date(Date.now() - DAY + i).toISOString() });
    const before = (await bus.jsm.streams.info(STREAMS.events)).state.last_seq;
    // Plain publishes, stored by the stream all the same: twenty thousand acknowledged ones would take a while.
    for (let i = 0; i <= PENDING_SCAN_LIMIT; i++) bus.nc.publish(eventsSubject('bulk', 'LOGIN'), body(i));
    await bus.nc.flush();
    await waitFor('every message stored', async () => (await bus.jsm.streams.info(STREAMS.events)).state.last_seq === before + PENDING_SCAN_LIMIT + 1, 60_000);
    const floor = await bound.readFloor();
    expect(floor?.behind).toBe(true);
    expect(floor && bound.receivedThrough(floor, 'bulk')).toBeNull();
    expect(floor && bound.receivedThrough(floor, 'org_idle')).toBeNull();
  });
});
