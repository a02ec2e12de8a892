import { randomBytes } from 'node:crypto';
import { DiscardPolicy, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { headers, nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { JetStreamPublishError, PipelinedPublisher } from './pipelined-publisher';

/** Against the real nats-server; each test file touches only its own PIPE_<random> streams. */
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const suffix = randomBytes(5).toString('hex');
const subjectOf = (name: string): string => `test.pipe${suffix}.${name}`;

async function rejection(p: Promise<unknown>): Promise<JetStreamPublishError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(JetStreamPublishError);
    return error as JetStreamPublishError;
  }
  throw new Error('expected a rejection');
}

describe('PipelinedPublisher (real NATS JetStream)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  const addStream = async (name: string, extra: Record<string, unknown> = {}): Promise<string> => {
    const stream = `PIPE_${suffix}_${name}`;
    await jsm.streams.add({ name: stream, subjects: [subjectOf(`${name}.>`)], storage: StorageType.Memory, duplicate_window: nanos(60_000), ...extra });
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  });

  it('stores thousands of messages published at once, each acked with its own sequence, bytes and headers intact', async () => {
    const stream = await addStream('bulk');
    const publisher = new PipelinedPublisher(nc);
    const h = headers();
    h.set('X-Trace', 'abc');
    const acks = await Promise.all(
      Array.from({ length: 5_000 }, (_, i) =>
        publisher.publish(subjectOf(`bulk.${i % 7}`), JSON.stringify({ i }), i === 0 ? { msgId: 'first', headers: h } : { msgId: `m-${i}` }),
      ),
    );
    expect(new Set(acks.map((a) => a.seq)).size).toBe(5_000);
    expect(acks.every((a) => a.stream === stream && !a.duplicate)).toBe(true);
    expect((await jsm.streams.info(stream)).state.messages).toBe(5_000);
    const first = await jsm.streams.getMessage(stream, { seq: acks[0].seq });
    expect(first?.json()).toEqual({ i: 0 });
    expect(first?.header.get('X-Trace')).toBe('abc');
    expect(first?.header.get('Nats-Msg-Id')).toBe('first');
    expect(publisher.inFlight).toBe(0);
    publisher.close();
  });

  it('reports a message id seen before as a duplicate, and the stream keeps one copy', async () => {
    const stream = await addStream('dup');
    const publisher = new PipelinedPublisher(nc);
    const once = await publisher.publish(subjectOf('dup.a'), 'one', { msgId: 'same' });
    const again = await publisher.publish(subjectOf('dup.a'), 'two', { msgId: 'same' });
    expect(once.duplicate).toBe(false);
    expect(again).toEqual({ stream, seq: once.seq, duplicate: true });
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
    publisher.close();
  });

  it('rejects with NO_STREAM, naming the subject, when no stream captures it', async () => {
    const publisher = new PipelinedPublisher(nc);
    const error = await rejection(publisher.publish(subjectOf('nowhere.x'), 'lost'));
    expect(error.code).toBe('NO_STREAM');
    expect(error.message).toContain(subjectOf('nowhere.x'));
    publisher.close();
  });

  it('rejects with REJECTED and JetStream’s reason when the stream refuses the message', async () => {
    await addStream('full', { max_msgs: 1, discard: DiscardPolicy.New });
    const publisher = new PipelinedPublisher(nc);
    await publisher.publish(subjectOf('full.a'), 'fits');
    const error = await rejection(publisher.publish(subjectOf('full.a'), 'does not fit'));
    expect(error.code).toBe('REJECTED');
    expect(error.message).toMatch(/maximum messages/i);
    publisher.close();
  });

  it('rejects with TIMEOUT when nothing acks in time, and ignores the late answer', async () => {
    // A plain subscriber holds the subject (so no "no responders") and answers only after the timeout.
    const late: Array<() => void> = [];
    const sub = nc.subscribe(subjectOf('silent'), {
      callback: (_e, msg) => {
        late.push(() => msg.respond(JSON.stringify({ stream: 'X', seq: 1 })));
      },
    });
    const publisher = new PipelinedPublisher(nc, { timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(publisher.publish(subjectOf('silent'), 'anyone?', { msgId: 'late' }));
    expect(error.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    for (const answer of late) answer();
    await nc.flush();
    expect(publisher.inFlight).toBe(0);
    sub.unsubscribe();
    publisher.close();
  });

  it('rejects what is still waiting with CLOSED when closed, and refuses publishes afterwards', async () => {
    const sub = nc.subscribe(subjectOf('closing'), { callback: () => undefined });
    const publisher = new PipelinedPublisher(nc);
    const waiting = publisher.publish(subjectOf('closing'), 'never acked');
    publisher.close();
    expect((await rejection(waiting)).code).toBe('CLOSED');
    expect((await rejection(publisher.publish(subjectOf('closing'), 'after'))).code).toBe('CLOSED');
    sub.unsubscribe();
  });

  it('refuses a timeout that is not a positive integer', () => {
    expect(() => new PipelinedPublisher(nc, { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
