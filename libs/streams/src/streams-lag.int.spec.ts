import type { Msg } from '@nats-io/nats-core';
import type { StreamLag, StreamView } from '@audit/contracts';
import { STREAMS } from '@audit/messaging';
import { TestReceiver, waitFor } from '@audit/testing';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsRunner } from './streams-runner.service';

jest.setTimeout(180_000);

const ORG = 'many';
const PER_GROUP = 50;

/**
 * `GET /v1/streams` with a hundred streams: every lag read from one listing of the consumers plus one
 * message read per place the lagging streams wait at, and each the same as the stream's own answer.
 */
describe('streams: the lag of many streams in one list', () => {
  let stack: StreamsStack;
  let receiver: TestReceiver;

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_lag', { STREAMS_REFRESH_INTERVAL: '300ms' });
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.stop();
  });

  /** The consumers of AUDIT_EVENTS whose streams have nothing waiting, as the test's own connection sees them. */
  const caughtUp = async (ids: string[]): Promise<boolean> => {
    const wanted = new Set(ids.map((id) => `stream-${id}`));
    const infos = await stack.bus.jsm.consumers.list(STREAMS.events).next();
    const mine = infos.filter((c) => wanted.has(c.name));
    return mine.length === wanted.size && mine.every((c) => c.num_pending + c.num_ack_pending === 0);
  };

  it('answers each lag from one consumer listing and one message read per distinct position, the same as each stream alone', async () => {
    const catalog = stack.app.get(StreamsCatalog);
    const runner = stack.app.get(StreamsRunner);
    const create = (name: string, paused = false) => stack.create(ORG, { name, paused, destination: { type: 'webhook', url: receiver.url(`/${name}`), secrets: ['lag-secret-0123456789-lag'] } });
    const early: StreamView[] = [];
    const late: StreamView[] = [];
    for (let i = 0; i < PER_GROUP; i++) early.push(await create(`early-${i}`));
    for (let i = 0; i < PER_GROUP; i++) late.push(await create(`late-${i}`));
    const neverRan = await create('never-ran', true);
    await runner.refresh();
    await waitFor('every running stream to have its consumer', () => caughtUp([...early, ...late].map((s) => s.id)), 120_000, 250);

    // The early streams stop before the first batch, the late ones after delivering it: two positions.
    for (const s of early) await catalog.setPaused(ORG, s.id, true);
    await runner.refresh();
    await stack.publish(stack.events(ORG, 3));
    await waitFor('the late streams to deliver the first batch', () => caughtUp(late.map((s) => s.id)), 60_000, 250);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    // Nothing in the service touches the bus any more but the request under test.
    await runner.beforeApplicationShutdown();
    await stack.publish(stack.events(ORG, 4));

    const requests: string[] = [];
    const sub = stack.bus.nc.subscribe('$JS.API.>', { callback: (_error: unknown, msg: Msg) => void requests.push(msg.subject) });
    await stack.bus.nc.flush();
    const listed = await stack.call<{ items: StreamView[] }>(ORG, 'GET', '/v1/streams');
    await stack.bus.nc.flush();
    sub.unsubscribe();

    expect(listed.status).toBe(200);
    expect(requests.filter((s) => /^\$JS\.API\.(CONSUMER|STREAM\.MSG)\./.test(s)).sort()).toEqual([
      `$JS.API.CONSUMER.LIST.${STREAMS.events}`,
      `$JS.API.STREAM.MSG.GET.${STREAMS.events}`,
      `$JS.API.STREAM.MSG.GET.${STREAMS.events}`,
    ]);
    const lagOf = new Map(listed.body.items.map((s) => [s.id, s.lag]));
    expect(lagOf.size).toBe(2 * PER_GROUP + 1);
    expect(lagOf.get(neverRan.id)).toBeNull();
    for (const s of early) expect(lagOf.get(s.id)).toEqual({ events: 7, seconds: expect.any(Number) });
    for (const s of late) expect(lagOf.get(s.id)).toEqual({ events: 4, seconds: expect.any(Number) });
    // The early streams wait for the first batch, stored over a second before the second one.
    expect(Math.min(...early.map((s) => lagOf.get(s.id)?.seconds ?? -1))).toBeGreaterThanOrEqual(1);
    expect(Math.max(...late.map((s) => lagOf.get(s.id)?.seconds ?? Infinity))).toBeLessThan(Math.min(...early.map((s) => lagOf.get(s.id)?.seconds ?? -1)));

    // Each stream's own answer (its consumer's info) says the same, up to the second that may have turned.
    for (const s of [...early.slice(0, 5), ...late.slice(0, 5), neverRan]) {
      const own = (await stack.call<StreamView>(ORG, 'GET', `/v1/streams/${s.id}`)).body.lag;
      const fromList = lagOf.get(s.id) as StreamLag | null;
      if (fromList === null) expect(own).toBeNull();
      else {
        expect(own?.events).toBe(fromList.events);
        expect((own?.seconds ?? -1) - fromList.seconds).toBeGreaterThanOrEqual(0);
        expect((own?.seconds ?? Infinity) - fromList.seconds).toBeLessThanOrEqual(2);
      }
    }
  });
});
