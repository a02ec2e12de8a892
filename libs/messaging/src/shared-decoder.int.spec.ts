import { AckPolicy, type JsMsg } from '@nats-io/jetstream';
import { canonicalEvent, connectTestBus, startTestNats, type TestBus, type TestNats } from '@audit/testing';
import { eventsSubject } from '@audit/bus-topology';
import { PermanentError } from './errors';
import { SharedCanonicalDecoder } from './shared-decoder';

jest.setTimeout(60_000);

const STREAM = 'SHARED_DECODER_TEST';

describe('SharedCanonicalDecoder (real NATS)', () => {
  let nats: TestNats;
  let bus: TestBus;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    await bus?.close();
    await nats?.destroy();
  });

  /** A fresh stream with two durable consumers of all of it, as the writer and the projector are. */
  async function freshStream(): Promise<void> {
    await bus.jsm.streams.delete(STREAM).catch(() => undefined);
    await bus.jsm.streams.add({ name: STREAM, subjects: ['audit.events.>'] });
    for (const durable of ['writer', 'projector']) await bus.jsm.consumers.add(STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit });
  }

  const publish = async (body: unknown, subject: string): Promise<void> => {
    await bus.js.publish(subject, typeof body === 'string' ? body : JSON.stringify(body));
  };

  async function received(durable: string, count: number): Promise<JsMsg[]> {
    const consumer = await bus.js.consumers.get(STREAM, durable);
    const messages: JsMsg[] = [];
    for await (const m of await consumer.fetch({ max_messages: count, expires: 2_000 })) {
      messages.push(m);
      m.ack();
      if (messages.length === count) break;
    }
    return messages;
  }

  const event = (n: number) => canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: `u-${n}`, metadata: { n } });

  it('decodes each message once for two readers, and keeps nothing once both took it', async () => {
    await freshStream();
    const decoder = new SharedCanonicalDecoder();
    decoder.join();
    decoder.join();
    const events = [event(1), event(2)];
    for (const e of events) await publish(e, eventsSubject(e.organizationId, e.actionType));

    const first = (await received('writer', 2)).map((m) => decoder.decode(m));
    expect(first).toEqual(events);
    expect(decoder.size).toBe(2);
    const second = (await received('projector', 2)).map((m) => decoder.decode(m));
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    expect(decoder.size).toBe(0);
  });

  it('keeps nothing with one reader (the services apart)', async () => {
    await freshStream();
    const decoder = new SharedCanonicalDecoder();
    const leave = decoder.join();
    decoder.join();
    leave();
    const e = event(3);
    await publish(e, eventsSubject(e.organizationId, e.actionType));
    expect((await received('writer', 1)).map((m) => decoder.decode(m))).toEqual([e]);
    expect(decoder.size).toBe(0);
  });

  it('refuses a forged message to every reader, each with the reason, and keeps none of it', async () => {
    await freshStream();
    const decoder = new SharedCanonicalDecoder();
    decoder.join();
    decoder.join();
    const e = event(4);
    await publish({ ...e, organizationId: 'other' }, eventsSubject(e.organizationId, e.actionType));
    for (const durable of ['writer', 'projector']) {
      const [m] = await received(durable, 1);
      expect(() => decoder.decode(m)).toThrow(PermanentError);
    }
    expect(decoder.size).toBe(0);
  });

  it('never hands out an event of another message at the same sequence (a stream created again)', async () => {
    await freshStream();
    const decoder = new SharedCanonicalDecoder();
    decoder.join();
    decoder.join();
    const before = event(5);
    await publish(before, eventsSubject(before.organizationId, before.actionType));
    expect(decoder.decode((await received('writer', 1))[0])).toEqual(before);

    await freshStream();
    const after = event(6);
    await publish(after, eventsSubject(after.organizationId, after.actionType));
    const [again] = await received('projector', 1);
    expect(again.seq).toBe(1);
    expect(decoder.decode(again)).toEqual(after);
  });

  it('drops the oldest unread messages beyond its capacity', async () => {
    await freshStream();
    const decoder = new SharedCanonicalDecoder(2);
    decoder.join();
    decoder.join();
    const events = [event(7), event(8), event(9)];
    for (const e of events) await publish(e, eventsSubject(e.organizationId, e.actionType));
    for (const m of await received('writer', 3)) decoder.decode(m);
    expect(decoder.size).toBe(2);
    // The first was dropped: the projector decodes it itself, and still gets the same event; the decoder
    // never holds more than its capacity.
    expect((await received('projector', 3)).map((m) => decoder.decode(m))).toEqual(events);
    expect(decoder.size).toBeLessThanOrEqual(2);
  });
});
