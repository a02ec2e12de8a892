import { createHmac, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { erasedEvent, type AuditEvent, type DeliveryRecord, type StreamView } from '@audit/contracts';
import { DLQ_HEADERS, STREAMS } from '@audit/messaging';
import { ErasuresRepository } from '@audit/persistence';
import { readStream, TestReceiver, waitFor, type ReceivedRequest } from '@audit/testing';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';

jest.setTimeout(60_000);

const SECRET_NEW = 'rotated-secret-0123456789-new';
const SECRET_OLD = 'rotated-secret-0123456789-old';

/** Webhook streams end to end: the API, the streams service's consumers, a real HTTP receiver. */
describe('streams: delivery to a webhook', () => {
  let stack: StreamsStack;
  let receiver: TestReceiver;
  let path = 0;

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_delivery');
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.stop();
  });

  const hook = (): string => `/hook-${path++}`;
  const webhook = (at: string, extra: Record<string, unknown> = {}) => ({ name: at.slice(1), destination: { type: 'webhook', url: receiver.url(at), secrets: [SECRET_NEW, SECRET_OLD] }, ...extra });
  const bodyEvents = (r: Pick<ReceivedRequest, 'body'>): AuditEvent[] => (JSON.parse(r.body) as { events: AuditEvent[] }).events;
  /**
   * The platform's record of a change made through the API (a pause, a resume, a replay): an event of the
   * organization like any other, so its streams deliver it too; the tests count the events they publish.
   */
  const isStreamChangeRecord = (e: AuditEvent): boolean => e.actionType === 'UPDATE_ORGANIZATION' && (e.metadata as { setting?: unknown }).setting === 'streams';
  /** Every event the test published that the receiver accepted on a path, in arrival order (duplicates kept). */
  const accepted = (at: string): AuditEvent[] =>
    receiver
      .on(at)
      .filter((r) => r.status < 300)
      .flatMap(bodyEvents)
      .filter((e) => !isStreamChangeRecord(e));
  const uniqueIds = (events: AuditEvent[]): string[] => [...new Set(events.map((e) => e.id))];
  const deliveries = async (org: string, id: string) => (await stack.call<{ items: DeliveryRecord[] }>(org, 'GET', `/v1/streams/${id}/deliveries`)).body.items;
  const streamOf = async (org: string, id: string) => (await stack.call<StreamView>(org, 'GET', `/v1/streams/${id}`)).body;

  it("delivers the organization's events in order, signed with both secrets during rotation, and only its own", async () => {
    const at = hook();
    const stream = await stack.create('acme', webhook(at));
    const mine = stack.events('acme', 30);
    const theirs = stack.events('globex', 10);
    await stack.publish([...mine.slice(0, 15), ...theirs, ...mine.slice(15)]);
    await waitFor('acme events delivered', () => uniqueIds(accepted(at)).length === 30);
    expect(accepted(at).map((e) => e.id)).toEqual(mine.map((e) => e.id));
    expect(accepted(at)[0]).toEqual(mine[0]);
    for (const r of receiver.on(at)) {
      const [t, ...signatures] = String(r.headers['x-audit-signature']).split(',');
      const unix = t.replace('t=', '');
      const expected = [SECRET_NEW, SECRET_OLD].map((s) => `v1=${createHmac('sha256', s).update(`${unix}.${r.body}`).digest('hex')}`);
      expect(signatures).toEqual(expected);
    }
    // Attempts are recorded beside the deliveries, not before the receiver has them.
    await waitFor('the attempts recorded', async () => (await deliveries('acme', stream.id)).reduce((n, d) => n + d.events, 0) >= 30);
    const history = await deliveries('acme', stream.id);
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((d) => d.status === 'delivered' && d.error === null)).toBe(true);
    expect(history.reduce((n, d) => n + d.events, 0)).toBe(30);
  });

  it('sends only what the filter selects', async () => {
    const at = hook();
    await stack.create('filtered', webhook(at, { filter: { actionType: ['QUERY_RUN'], queryName: 'getOrders' } }));
    const events = stack.events('filtered', 12);
    await stack.publish(events);
    const wanted = events.filter((e) => e.actionType === 'QUERY_RUN');
    await waitFor('the QUERY_RUN events', () => uniqueIds(accepted(at)).length === wanted.length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(accepted(at).map((e) => e.id)).toEqual(wanted.map((e) => e.id));
  });

  it('through an outage of the receiver (503 for a while), loses nothing, goes failing and back, keeps the order, and shows its lag', async () => {
    const at = hook();
    let healthy = false;
    receiver.respond(at, () => (healthy ? 200 : 503));
    const stream = await stack.create('outage', webhook(at));
    const events = stack.events('outage', 40);
    await stack.publish(events.slice(0, 20));
    await waitFor('the stream to be failing', async () => (await streamOf('outage', stream.id)).state.status === 'failing');
    const failing = await streamOf('outage', stream.id);
    expect(failing.state.lastError).toMatch(/503/);
    await stack.publish(events.slice(20));
    // What waits is every event, the oldest stored over a second ago; the list says the same as the stream.
    await waitFor('the lag of every event', async () => {
      const lag = (await streamOf('outage', stream.id)).lag;
      return lag !== null && lag.events === 40 && lag.seconds >= 1;
    });
    const listed = (await stack.call<{ items: StreamView[] }>('outage', 'GET', '/v1/streams')).body.items;
    expect(listed.map((s) => s.lag?.events)).toEqual([40]);
    healthy = true;
    await waitFor('every event delivered', () => uniqueIds(accepted(at)).length === 40, 40_000);
    await waitFor('no lag once delivered', async () => (await streamOf('outage', stream.id)).lag?.events === 0);
    expect((await streamOf('outage', stream.id)).lag).toEqual({ events: 0, seconds: 0 });
    // Duplicates only by id, and the first delivery of each id in publishing order.
    expect(uniqueIds(accepted(at))).toEqual(events.map((e) => e.id));
    await waitFor('the stream active again', async () => (await streamOf('outage', stream.id)).state.status === 'active');
    const history = await deliveries('outage', stream.id);
    expect(history.some((d) => d.status === 'failed' && /503/.test(d.error ?? ''))).toBe(true);
    expect(history[0].status).toBe('delivered');
  });

  it('a receiver that is off the network is retried until it is back', async () => {
    const down = new TestReceiver();
    await down.start();
    const url = down.url('/down');
    await down.stop();
    await stack.create('offline', { name: 'offline', destination: { type: 'webhook', url, secrets: [SECRET_NEW] } });
    const events = stack.events('offline', 10);
    await stack.publish(events);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await down.start();
    await waitFor('delivered once the receiver is back', () => uniqueIds(down.on('/down').flatMap(bodyEvents)).length === 10, 40_000);
    expect(uniqueIds(down.on('/down').flatMap(bodyEvents))).toEqual(events.map((e) => e.id));
    await down.stop();
  });

  it("a permanent refusal (400) dead-letters the batch with the receiver's answer; later events go on", async () => {
    const at = hook();
    const refused = stack.events('refusing', 5);
    const refusedIds = new Set(refused.map((e) => e.id));
    receiver.respond(at, (r) => (bodyEvents(r).some((e) => refusedIds.has(e.id)) ? 400 : 200));
    const stream = await stack.create('refusing', webhook(at));
    await stack.publish(refused);
    const durable = `stream-${stream.id}`;
    await waitFor('the refused events dead-lettered', async () => (await readStream(stack.bus.jsm, STREAMS.dlq)).filter((m) => m.subject === `audit.dlq.${durable}`).length === 5);
    const dead = (await readStream(stack.bus.jsm, STREAMS.dlq)).filter((m) => m.subject === `audit.dlq.${durable}`);
    expect(dead[0].headers[DLQ_HEADERS.reason]).toMatch(/receiver refused the batch: 400/);
    const later = stack.events('refusing', 3);
    await stack.publish(later);
    await waitFor('the later events delivered', () => uniqueIds(accepted(at)).length === 3);
    await waitFor('the refusal recorded', async () => (await deliveries('refusing', stream.id)).some((d) => d.status === 'dead_lettered'));
  });

  it('a history write that hangs holds up neither the batches nor their acks; the attempts are written once it can', async () => {
    const at = hook();
    const stream = await stack.create('hanging-history', webhook(at));
    // Postgres answers nothing on stream_deliveries while this transaction holds its lock.
    const locker = new Client({ connectionString: stack.db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE stream_deliveries IN ACCESS EXCLUSIVE MODE');
      // More than the two batches in flight (1000 events each): each batch used to wait for its attempt's row.
      const events = stack.events('hanging-history', 2_500);
      await stack.publish(events);
      await waitFor('every event delivered while the history hangs', () => uniqueIds(accepted(at)).length === 2_500, 40_000);
      expect(uniqueIds(accepted(at))).toEqual(events.map((e) => e.id));
      await waitFor('every event acknowledged while the history hangs', async () => {
        const info = await stack.bus.jsm.consumers.info(STREAMS.events, `stream-${stream.id}`);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    await waitFor('the attempts recorded once the history answers', async () => {
      const history = await deliveries('hanging-history', stream.id);
      return history.filter((d) => d.status === 'delivered').reduce((n, d) => n + d.events, 0) >= 2_500;
    });
  });

  it('pausing sends nothing and keeps the position; resuming sends what came meanwhile', async () => {
    const at = hook();
    const stream = await stack.create('pausing', webhook(at));
    const before = stack.events('pausing', 5);
    await stack.publish(before);
    await waitFor('the first events', () => uniqueIds(accepted(at)).length === 5);
    const paused = await stack.call<StreamView>('pausing', 'POST', `/v1/streams/${stream.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.state.status).toBe('paused');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const during = stack.events('pausing', 7);
    await stack.publish(during);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(uniqueIds(accepted(at))).toHaveLength(5);
    expect((await stack.call<StreamView>('pausing', 'POST', `/v1/streams/${stream.id}/resume`)).body.state.status).toBe('active');
    await waitFor('the events sent while paused', () => uniqueIds(accepted(at)).length === 12);
    expect(uniqueIds(accepted(at))).toEqual([...before, ...during].map((e) => e.id));
  });

  it('a replay from a time re-delivers exactly the events stored since then, in order, beside live delivery', async () => {
    const at = hook();
    const stream = await stack.create('replaying', webhook(at));
    const old = stack.events('replaying', 10);
    await stack.publish(old);
    await waitFor('the old events', () => uniqueIds(accepted(at)).length === 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const from = new Date();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const recent = stack.events('replaying', 15);
    await stack.publish(recent);
    await waitFor('the recent events', () => uniqueIds(accepted(at)).length === 25);
    const sentBefore = accepted(at).length;
    const replay = await stack.call<StreamView>('replaying', 'POST', `/v1/streams/${stream.id}/replay`, { from: from.toISOString() });
    expect(replay.status).toBe(202);
    expect(replay.body.replay?.from).toBe(from.toISOString());
    const live = stack.events('replaying', 4);
    await stack.publish(live);
    await waitFor('the replay and the live events', () => accepted(at).length >= sentBefore + recent.length + live.length);
    await waitFor('the replay to finish', async () => (await streamOf('replaying', stream.id)).replay === null);
    const after = accepted(at).slice(sentBefore);
    const replayed = after.filter((e) => recent.some((r) => r.id === e.id));
    expect(replayed.map((e) => e.id)).toEqual(recent.map((e) => e.id));
    expect(after.filter((e) => live.some((l) => l.id === e.id)).map((e) => e.id)).toEqual(live.map((e) => e.id));
    expect(after.some((e) => old.some((o) => o.id === e.id))).toBe(false);
    await waitFor('the replay attempts recorded', async () => (await deliveries('replaying', stream.id)).some((d) => d.replay));
  });

  it("a replay after an erasure sends the erased person's events as the erasure left them, and the others whole", async () => {
    const at = hook();
    const stream = await stack.create('erasing', webhook(at));
    const from = new Date(Date.now() - 1_000);
    const [victim, other] = stack.events('erasing', 2).map((e, i) => ({ ...e, userId: i === 0 ? 'victim' : 'other', ipAddress: '203.0.113.9', user: { email: `${i}@example.com`, userName: 'Vic' } }));
    await stack.publish([victim, other]);
    await waitFor('the events', () => uniqueIds(accepted(at)).length === 2);
    await stack.app.get(ErasuresRepository).eraseUser(randomUUID(), 'erasing', 'victim', 'test');
    const sentBefore = accepted(at).length;
    expect((await stack.call('erasing', 'POST', `/v1/streams/${stream.id}/replay`, { from: from.toISOString() })).status).toBe(202);
    await waitFor('the replay', () => accepted(at).length >= sentBefore + 2);
    const replayed = accepted(at).slice(sentBefore);
    expect(replayed.find((e) => e.id === victim.id)).toEqual(erasedEvent(victim));
    expect(replayed.find((e) => e.id === other.id)).toEqual(other);
  });

  it("another organization's stream is 404 to every verb, and its events never reach this one", async () => {
    const at = hook();
    const stream = await stack.create('owner-org', webhook(at));
    for (const [method, suffix] of [['GET', ''], ['PUT', ''], ['DELETE', ''], ['POST', '/pause'], ['POST', '/resume'], ['POST', '/test'], ['POST', '/replay'], ['GET', '/deliveries']] as const) {
      const answer = await stack.call('intruder-org', method, `/v1/streams/${stream.id}${suffix}`, method === 'PUT' ? webhook(at) : method === 'POST' && suffix === '/replay' ? { from: new Date().toISOString() } : undefined);
      expect({ method, suffix, status: answer.status }).toEqual({ method, suffix, status: 404 });
    }
    expect((await stack.call<{ items: StreamView[] }>('intruder-org', 'GET', '/v1/streams')).body.items).toEqual([]);
    await stack.publish(stack.events('intruder-org', 5));
    const own = stack.events('owner-org', 2);
    await stack.publish(own);
    await waitFor('the owner events', () => uniqueIds(accepted(at)).length === 2);
    expect(uniqueIds(accepted(at))).toEqual(own.map((e) => e.id));
  });

  it('test sends one sample event now and records it', async () => {
    const at = hook();
    const stream = await stack.create('testing', webhook(at));
    const answer = await stack.call<{ delivered: boolean; eventId: string; error: string | null }>('testing', 'POST', `/v1/streams/${stream.id}/test`);
    expect(answer.status).toBe(200);
    expect(answer.body.delivered).toBe(true);
    const [sample] = accepted(at);
    expect(sample.id).toBe(answer.body.eventId);
    expect(sample.metadata).toEqual({ test: true, stream: stream.name });
    receiver.respond(at, () => 500);
    const failed = await stack.call<{ delivered: boolean; error: string | null }>('testing', 'POST', `/v1/streams/${stream.id}/test`);
    expect(failed.body.delivered).toBe(false);
    expect(failed.body.error).toMatch(/500/);
  });
});
