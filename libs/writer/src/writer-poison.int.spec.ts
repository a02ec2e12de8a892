import type { AuditEvent } from '@audit/contracts';
import { DLQ_HEADERS, dlqSubject, eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, readStream, startTestPipeline, waitFor, waitForConsumerIdle, type TestBus, type TestDatabase, type TestPipeline } from '@audit/testing';
import { WriterModule } from './writer.module';

jest.setTimeout(60_000);

const ORG = 'org_poison';
const SUBJECT = eventsSubject(ORG, 'LOGIN');

/**
 * A message that can never be written goes to AUDIT_DLQ with the reason, once, and does not hold back the
 * messages around it: everything valid before and after it is written.
 */
describe('writer: poison messages', () => {
  let pipeline: TestPipeline;
  let db: TestDatabase;
  let bus: TestBus;

  beforeAll(async () => {
    pipeline = await startTestPipeline('writer_poison', [WriterModule], {
      CONSUMER_ACK_WAIT: '2s',
      // Long enough that each group published at once is written as one batch.
      WRITER_FLUSH_INTERVAL: '300ms',
    });
    ({ db, bus } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const valid = (label: string, n: number): AuditEvent[] =>
    Array.from({ length: n }, (_, i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `${label}-${i}`, metadata: { label, i } }));

  const publish = async (payload: string | AuditEvent): Promise<number> => {
    const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const ack = await bus.js.publish(SUBJECT, data, typeof payload === 'string' ? undefined : { msgID: payload.id });
    return ack.seq;
  };

  const storedIds = async (): Promise<string[]> =>
    (await db.query<{ id: string }>('SELECT id FROM audit_trail_events ORDER BY id')).map((r) => r.id);

  it('dead-letters undecodable payloads with the reason, and writes every valid event around them', async () => {
    const before = valid('before', 3);
    const after = valid('after', 3);
    const notJson = 'this is {not json';
    const incomplete = JSON.stringify({ organizationId: ORG, hello: 'world' });

    // All in one batch: the poison must not fail the valid messages batched with it.
    const seqs: number[] = [];
    for (const payload of [...before, notJson, incomplete, ...after]) seqs.push(await publish(payload));

    const expected = [...before, ...after].map((e) => e.id).sort();
    await waitFor('the valid events to be written', async () => (await storedIds()).length === expected.length);
    await waitFor('both poison messages to be dead-lettered', async () => (await bus.jsm.streams.info(STREAMS.dlq)).state.messages === 2);
    // Dead letters are terminated: nothing is left pending or redelivered after the ack wait.
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    expect(await storedIds()).toEqual(expected);

    const dead = await readStream(bus.jsm, STREAMS.dlq);
    expect(dead).toEqual([
      {
        seq: 1,
        subject: dlqSubject('writer'),
        data: notJson,
        headers: expect.objectContaining({
          [DLQ_HEADERS.reason]: 'undecodable: payload is not JSON',
          [DLQ_HEADERS.consumer]: 'writer',
          [DLQ_HEADERS.subject]: SUBJECT,
          [DLQ_HEADERS.streamSequence]: String(seqs[3]),
          [DLQ_HEADERS.deliveries]: '1',
        }) as Record<string, string>,
      },
      {
        seq: 2,
        subject: dlqSubject('writer'),
        data: incomplete,
        headers: expect.objectContaining({
          [DLQ_HEADERS.reason]: expect.stringMatching(/^undecodable: not a canonical event: receivedAt must be an ISO-8601 instant/) as string,
          [DLQ_HEADERS.streamSequence]: String(seqs[4]),
        }) as Record<string, string>,
      },
    ]);
  });

  it('dead-letters only the message Postgres refuses, not the batch it came in', async () => {
    const before = valid('db-before', 4);
    const after = valid('db-after', 4);
    // A valid event (the writer re-checks the contract, so a malformed one never reaches Postgres) that
    // this database alone refuses: a constraint of the test stands for whatever Postgres may refuse.
    await db.query(`ALTER TABLE audit_trail_events ADD CONSTRAINT test_refuses CHECK ("userId" IS DISTINCT FROM 'refused')`);
    const refused = canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: 'refused' });
    const storedBefore = await storedIds();
    const dlqBefore = (await bus.jsm.streams.info(STREAMS.dlq)).state.messages;

    for (const payload of [...before, refused, ...after]) await publish(payload);

    const expected = [...storedBefore, ...before.map((e) => e.id), ...after.map((e) => e.id)].sort();
    await waitFor('the valid events of the batch to be written', async () => (await storedIds()).length === expected.length);
    await waitFor('the refused event to be dead-lettered', async () => (await bus.jsm.streams.info(STREAMS.dlq)).state.messages === dlqBefore + 1);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    expect(await storedIds()).toEqual(expected);

    const dead = (await readStream(bus.jsm, STREAMS.dlq)).slice(dlqBefore);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0].data)).toEqual(refused);
    expect(dead[0].headers[DLQ_HEADERS.reason]).toMatch(/violates check constraint "test_refuses"/);
    expect(dead[0].headers[DLQ_HEADERS.deliveries]).toBe('1');

    // And the stream keeps flowing afterwards.
    const later = valid('later', 2);
    for (const event of later) await publish(event);
    await waitFor('later events to be written', async () => (await storedIds()).length === expected.length + 2);
    // Every message of the stream is either stored or dead-lettered, and none is waiting or pending.
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    expect((await bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(dlqBefore + 1);
  });
});
