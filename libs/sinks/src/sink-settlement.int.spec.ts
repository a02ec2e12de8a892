import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import type { AuditEvent } from '@audit/contracts';
import { DLQ_HEADERS, dlqSubject, eventsSubject, MessagingModule, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { PlatformModule } from '@audit/platform';
import {
  bootModules,
  canonicalEvent,
  connectTestBus,
  readStream,
  startTestNats,
  TestReceiver,
  waitFor,
  waitForConsumerIdle,
  type ReceivedRequest,
  type TestBus,
  type TestNats,
} from '@audit/testing';
import { SinksModule } from './sinks.module';

jest.setTimeout(60_000);

const DURABLE = 'sink-webhook';

/**
 * Each message a sink receives is settled once, by the consumer base class, and counted once: these specs
 * compare `audit_consumer_messages_total` with what the server and the receiver saw. Each test has a bus of
 * its own and fresh metrics, and publishes its events before the sink starts, so the sink's first batch
 * holds all of them (or as many as its byte cap allows).
 */
describe('sink settlement: every message acked, nak\'d or dead-lettered once, and counted so', () => {
  let nats: TestNats;
  let bus: TestBus;
  let receiver: TestReceiver;
  let sinks: TestingModule | undefined;
  let counter = 0;

  const makeEvents = (org: string, n: number, blobBytes = 0): AuditEvent[] =>
    Array.from({ length: n }, () =>
      canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId: `user-${counter++}`, metadata: blobBytes > 0 ? { blob: 'x'.repeat(blobBytes) } : {} }),
    );
  const publish = async (events: AuditEvent[]): Promise<void> => {
    for (const e of events) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
  };
  const startSink = async (): Promise<void> => {
    register.resetMetrics();
    sinks = await bootModules([PlatformModule, MessagingModule, SinksModule], {
      NATS_URL: nats.url,
      LOG_AUDIT_EVENTS: 'false',
      WEBHOOK_URL: receiver.url('/hook'),
      WEBHOOK_SECRET: 'webhook-test-secret-0123456789',
      SINK_FLUSH_INTERVAL: '50ms',
      LOG_LEVEL: 'error',
    });
  };
  const eventsOf = (r: ReceivedRequest): AuditEvent[] => (JSON.parse(r.body) as { events: AuditEvent[] }).events;
  /** How many times the receiver accepted (2xx) each event id. */
  const accepted = (): Map<string, number> => {
    const times = new Map<string, number>();
    for (const r of receiver.on('/hook').filter((r) => r.status < 300)) for (const e of eventsOf(r)) times.set(e.id, (times.get(e.id) ?? 0) + 1);
    return times;
  };
  const refusedEvents = (status: (s: number) => boolean): number =>
    receiver
      .on('/hook')
      .filter((r) => status(r.status))
      .reduce((n, r) => n + eventsOf(r).length, 0);
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    const values = (await register.getSingleMetric(name)?.get())?.values ?? [];
    return values.filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value)).reduce((n, v) => n + v.value, 0);
  };
  const settled = async (outcome: 'acked' | 'nacked' | 'dead_lettered'): Promise<number> =>
    metric('audit_consumer_messages_total', { consumer: DURABLE, outcome });
  const deadLetters = async () => (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.subject === dlqSubject(DURABLE));

  /**
   * Every delivery the server made is settled exactly once: nothing is pending, the ack floor is the stream's
   * last message, and the outcomes counted add up to the deliveries the server counted (redeliveries included).
   */
  const expectEachDeliverySettledOnce = async (): Promise<void> => {
    const info = await waitForConsumerIdle(bus.jsm, STREAMS.events, DURABLE);
    const { state } = await bus.jsm.streams.info(STREAMS.events);
    expect(info.ack_floor.stream_seq).toBe(state.last_seq);
    expect((await settled('acked')) + (await settled('nacked')) + (await settled('dead_lettered'))).toBe(info.delivered.consumer_seq);
  };

  beforeEach(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterEach(async () => {
    await sinks?.close();
    sinks = undefined;
    await receiver?.stop();
    await bus?.close();
    await nats?.destroy();
  });

  it('a poison message in a webhook batch is dead-lettered alone; the rest, answered 503 then 200, is delivered once', async () => {
    const events = makeEvents('poison-org', 20);
    await publish(events.slice(0, 10));
    await bus.js.publish('audit.events.poison-org.LOGIN', 'not json at all');
    await publish(events.slice(10));
    let answered = 0;
    receiver.respond('/hook', () => (answered++ === 0 ? 503 : 200));
    await startSink();

    await waitFor('every event accepted', () => accepted().size === 20);
    await expectEachDeliverySettledOnce();
    expect([...accepted().values()].every((times) => times === 1)).toBe(true);
    const dead = await deadLetters();
    expect(dead.map((m) => m.data)).toEqual(['not json at all']);
    expect(dead[0].headers[DLQ_HEADERS.reason]).toMatch(/^undecodable: /);
    expect(refusedEvents((s) => s === 503)).toBeGreaterThan(0);
    expect(await settled('acked')).toBe(20);
    expect(await settled('dead_lettered')).toBe(1);
    // Nak'd: exactly the events of the request answered 503, each once.
    expect(await settled('nacked')).toBe(refusedEvents((s) => s === 503));
    expect(await metric('audit_sink_events_total', { sink: DURABLE, outcome: 'delivered' })).toBe(20);
    expect(await metric('audit_sink_events_total', { sink: DURABLE, outcome: 'retried' })).toBe(refusedEvents((s) => s === 503));
  });

  it('a batch the receiver refuses (400) is dead-lettered and counted as such, never also as acked', async () => {
    const refused = makeEvents('refused-org', 5);
    await publish(refused);
    receiver.respond('/hook', (r) => (r.body.includes('refused-org') ? 400 : 200));
    await startSink();
    await waitFor('the refused events dead-lettered', async () => (await deadLetters()).length === 5);
    const fine = makeEvents('fine-org', 5);
    await publish(fine);

    await waitFor('the fine events accepted', () => accepted().size === 5);
    await expectEachDeliverySettledOnce();
    const dead = await deadLetters();
    expect(dead.map((m) => (JSON.parse(m.data) as AuditEvent).id).sort()).toEqual(refused.map((e) => e.id).sort());
    for (const m of dead) expect(m.headers[DLQ_HEADERS.reason]).toMatch(/^sink-webhook: receiver refused the batch: 400/);
    expect([...accepted().keys()].sort()).toEqual(fine.map((e) => e.id).sort());
    expect(await settled('dead_lettered')).toBe(5);
    expect(await settled('acked')).toBe(5);
    expect(await settled('nacked')).toBe(0);
    expect(await metric('audit_sink_events_total', { sink: DURABLE, outcome: 'failed' })).toBe(5);
  });

  it('a 503 on a later chunk of a batch retries that chunk only: the chunks before it are acked once and not sent again', async () => {
    // ~30 KB each: 220 events are ~6.6 MB, so the first batch (5 MB cap) needs two webhook requests.
    const events = makeEvents('chunk-org', 220, 30_000);
    await publish(events);
    let answered = 0;
    receiver.respond('/hook', () => (answered++ === 1 ? 503 : 200));
    await startSink();

    await waitFor('every event accepted', () => accepted().size === 220, 40_000);
    await expectEachDeliverySettledOnce();
    expect([...accepted().values()].every((times) => times === 1)).toBe(true);
    const [first, second] = receiver.on('/hook');
    expect(first.status).toBe(200);
    expect(second.status).toBe(503);
    expect(await settled('acked')).toBe(220);
    expect(await settled('dead_lettered')).toBe(0);
    // Retried: the refused chunk and any later chunk of its batch (how the consumer's pulls cut the 220
    // into batches varies); never the chunk delivered before it. Each retried event nak'd once.
    const nacked = await settled('nacked');
    expect(nacked).toBeGreaterThanOrEqual(eventsOf(second).length);
    expect(nacked).toBeLessThanOrEqual(220 - eventsOf(first).length);
    expect(await metric('audit_sink_events_total', { sink: DURABLE, outcome: 'retried' })).toBe(nacked);
    expect(await deadLetters()).toEqual([]);
  });
});
