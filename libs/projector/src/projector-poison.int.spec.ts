import { DLQ_HEADERS, dlqSubject, eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, readStream, startTestPipeline, waitFor, waitForConsumerIdle, type TestBus, type TestClickHouse, type TestPipeline } from '@audit/testing';
import { ProjectorModule } from './projector.module';

jest.setTimeout(60_000);

/**
 * Poison on AUDIT_EVENTS: bytes that are not JSON, JSON that is not a canonical event, and an event that
 * decodes but has a value no ClickHouse column can hold. Each goes to `audit.dlq.projector` with its reason, the valid
 * events around it are projected, and the consumer is left with nothing pending. A file of its own (own
 * bus, own databases), so a poison message that stays pending cannot hold up the other projector tests.
 */
describe('projector: poison is dead-lettered while the rest flows', () => {
  const ORG = 'org-poison';
  let pipeline: TestPipeline;
  let ch: TestClickHouse;
  let bus: TestBus;

  beforeAll(async () => {
    // The projector alone (no writer): the DLQ holds only the projector's dead letters.
    const started = await startTestPipeline(
      'projector_poison',
      [ProjectorModule],
      {
        PROJECTOR_FLUSH_INTERVAL: '50ms',
        CONSUMER_MAX_DELIVER: '3',
        // Short, so a message left unacknowledged comes back within the test.
        CONSUMER_ACK_WAIT: '1s',
      },
      { clickhouse: true },
    );
    ({ ch, bus } = started);
    pipeline = started;
  }, 60_000);

  afterAll(async () => {
    await pipeline?.close();
  }, 30_000);

  const projectedIds = async (): Promise<string[]> =>
    (await ch.query<{ id: string }>('SELECT toString(id) AS id FROM audit_events WHERE organizationId = {org:String} ORDER BY createdAt', { org: ORG })).map((r) => r.id);
  const deadLetters = async () => (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.subject === dlqSubject('projector'));

  it('dead-letters each poison message once with its reason; the valid events before and after are projected; nothing stays pending', async () => {
    const before = canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'p1', createdAt: '2026-11-27T09:00:00.000Z' });
    const after = canonicalEvent({ organizationId: ORG, actionType: 'LOGOUT', userId: 'p1', createdAt: '2026-11-27T09:00:01.000Z' });
    // Looks canonical, but its response time is no number: refused by the contract check of the decoding.
    const unparseable = { ...canonicalEvent({ organizationId: ORG, actionType: 'QUERY_RUN', createdAt: '2026-11-27T09:00:00.500Z' }), responseTimeMs: 'slow' };
    const subject = eventsSubject(ORG, 'LOGIN');
    const seq: Record<string, number> = {};
    seq['before'] = (await bus.js.publish(subject, JSON.stringify(before), { msgID: before.id })).seq;
    seq['notJson'] = (await bus.js.publish(subject, '{"id": "not json', { msgID: 'poison-1' })).seq;
    seq['notCanonical'] = (await bus.js.publish(subject, JSON.stringify({ id: 'nope', organizationId: ORG, metadata: [] }), { msgID: 'poison-2' })).seq;
    seq['unparseable'] = (await bus.js.publish(eventsSubject(ORG, 'QUERY_RUN'), JSON.stringify(unparseable), { msgID: unparseable.id })).seq;
    seq['after'] = (await bus.js.publish(eventsSubject(ORG, 'LOGOUT'), JSON.stringify(after), { msgID: after.id })).seq;

    await waitFor('the valid events in ClickHouse', async () => (await projectedIds()).length >= 2);
    const dead = await waitFor('three dead letters of the projector', async () => {
      const messages = await deadLetters();
      return messages.length >= 3 ? messages : undefined;
    });
    expect(await projectedIds()).toEqual([before.id, after.id]);

    const bySeq = new Map(dead.map((m) => [Number(m.headers[DLQ_HEADERS.streamSequence]), m]));
    expect(dead).toHaveLength(3);
    expect([...bySeq.keys()].sort((x, y) => x - y)).toEqual([seq['notJson'], seq['notCanonical'], seq['unparseable']]);
    for (const m of dead) {
      expect(m.headers[DLQ_HEADERS.consumer]).toBe('projector');
      expect(Number(m.headers[DLQ_HEADERS.deliveries])).toBeLessThanOrEqual(3);
    }
    // The payload is kept byte for byte, with where it came from and why it was given up.
    expect(bySeq.get(seq['notJson'])).toMatchObject({ data: '{"id": "not json', headers: { [DLQ_HEADERS.subject]: subject, [DLQ_HEADERS.deliveries]: '1' } });
    expect(bySeq.get(seq['notJson'])?.headers[DLQ_HEADERS.reason]).toBe('undecodable: payload is not JSON');
    expect(bySeq.get(seq['notCanonical'])?.headers[DLQ_HEADERS.reason]).toMatch(/^undecodable: not a canonical event: receivedAt must be an ISO-8601 instant/);
    expect(bySeq.get(seq['unparseable'])?.headers[DLQ_HEADERS.subject]).toBe(eventsSubject(ORG, 'QUERY_RUN'));
    expect(bySeq.get(seq['unparseable'])?.headers[DLQ_HEADERS.reason]).toMatch(/responseTimeMs/);
    expect(JSON.parse(bySeq.get(seq['unparseable'])?.data ?? '{}')).toEqual(unparseable);

    // A later event still flows.
    const later = canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'p2', createdAt: '2026-11-27T09:00:02.000Z' });
    await bus.js.publish(eventsSubject(ORG, 'LOGIN'), JSON.stringify(later), { msgID: later.id });
    await waitFor('the later event in ClickHouse', async () => (await projectedIds()).includes(later.id));
    expect(await projectedIds()).toEqual([before.id, after.id, later.id]);

    // Dead-lettered means settled: terminated on the bus, not redelivered every ack wait (1s here) and
    // dead-lettered again. Allow a few ack waits for the consumer to be idle.
    const consumer = await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 6_000);
    expect(consumer.ack_floor.stream_seq).toBe((await bus.jsm.streams.info(STREAMS.events)).state.last_seq);
    expect(await deadLetters()).toHaveLength(3);
  });
});
