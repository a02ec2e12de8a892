import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, startTestPipeline, waitFor, waitForConsumerIdle, type TestBus, type TestDatabase, type TestPipeline } from '@audit/testing';
import { WriterModule } from './writer.module';

jest.setTimeout(60_000);

/**
 * At-least-once delivery means the writer sees the same event more than once. Each copy is published
 * with its own Nats-Msg-Id so the bus does not dedup it: only the writer's idempotent insert stands
 * between the redelivery and a duplicate row.
 */
describe('writer: a repeated event is stored once', () => {
  const ORG = 'org_idem';
  let pipeline: TestPipeline;
  let db: TestDatabase;
  let bus: TestBus;

  beforeAll(async () => {
    pipeline = await startTestPipeline('writer_idem', [WriterModule], { CONSUMER_ACK_WAIT: '2s', WRITER_FLUSH_INTERVAL: '100ms' });
    ({ db, bus } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const publishCopy = async (event: AuditEvent, copy: string): Promise<void> => {
    await bus.js.publish(eventsSubject(event.organizationId, event.actionType), JSON.stringify(event), { msgID: `${event.id}:${copy}` });
  };

  const rowsOf = (id: string) =>
    db.query<{ id: string; organizationId: string; actionType: string; userId: string; metadata: unknown; createdAt: Date; receivedAt: Date }>(
      'SELECT id, "organizationId", "actionType", "userId", metadata, "createdAt", "receivedAt" FROM audit_trail_events WHERE id = $1',
      [id],
    );

  it('writes one row for three deliveries of the same event and upserts the user from its snapshot', async () => {
    const event = canonicalEvent({
      organizationId: ORG,
      actionType: 'QUERY_RUN',
      userId: 'user-1',
      user: { email: 'ada@example.com', userName: 'Ada' },
      queryName: 'getUsers',
      metadata: { query: 'select 1', nested: { n: 1 } },
      createdAt: '2026-01-15T10:00:00.000Z',
    });

    // The first copy alone, then two more at once: a duplicate across batches and within one batch.
    await publishCopy(event, 'a');
    await waitFor('the first copy to be written', async () => (await rowsOf(event.id)).length === 1);
    await Promise.all([publishCopy(event, 'b'), publishCopy(event, 'c')]);

    const stream = await bus.jsm.streams.info(STREAMS.events);
    expect(stream.state.messages).toBe(3);
    const consumer = await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    expect(consumer.delivered.stream_seq).toBe(stream.state.last_seq);
    expect(consumer.ack_floor.stream_seq).toBe(stream.state.last_seq);

    const rows = await rowsOf(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual({
      id: event.id,
      organizationId: ORG,
      actionType: 'QUERY_RUN',
      userId: 'user-1',
      metadata: { query: 'select 1', nested: { n: 1 } },
      createdAt: new Date('2026-01-15T10:00:00.000Z'),
      receivedAt: new Date(event.receivedAt),
    });
    const [{ total }] = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM audit_trail_events');
    expect(total).toBe(1);

    const users = await db.query('SELECT id, email, "userName", "organizationId" FROM users');
    expect(users).toEqual([{ id: 'user-1', email: 'ada@example.com', userName: 'Ada', organizationId: ORG }]);
  });

  // The bus deduplicates by Nats-Msg-Id for STREAM_DEDUP_WINDOW (10 minutes) only. An emitter that retries
  // later with the same id and no createdAt gets a createdAt of the retry's time from ingest: the copy
  // reaches the writer with another createdAt (and here another message id, as it would after the window).
  it('stores an id resent without createdAt after the dedup window once, in whatever partition the resend falls', async () => {
    const event = canonicalEvent({ organizationId: ORG, actionType: 'CREATE_GROUP', metadata: { group: 'g' }, createdAt: '2026-02-27T23:59:00.000Z' });
    await publishCopy(event, 'a');
    await waitFor('the first copy to be written', async () => (await rowsOf(event.id)).length === 1);
    const retriedAt = '2026-03-01T00:05:00.000Z';
    await publishCopy({ ...event, createdAt: retriedAt, receivedAt: retriedAt }, 'retry-after-window');
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    expect((await rowsOf(event.id)).map((r) => r.createdAt)).toEqual([new Date('2026-02-27T23:59:00.000Z')]);
  });

  it('keeps the newest snapshot of a user; the same user id in another organization is that organization\'s own user', async () => {
    const later = canonicalEvent({
      organizationId: ORG,
      actionType: 'LOGIN',
      userId: 'user-1',
      user: { email: 'ada@new.example.com', userName: 'Ada L.' },
      createdAt: '2026-01-16T10:00:00.000Z',
    });
    await publishCopy(later, 'a');
    await waitFor('the newer snapshot to be written', async () => (await rowsOf(later.id)).length === 1);

    const foreign = canonicalEvent({
      organizationId: 'org_other',
      actionType: 'LOGIN',
      userId: 'user-1',
      user: { email: 'mallory@example.com', userName: 'Mallory' },
    });
    await publishCopy(foreign, 'a');
    await waitFor('the foreign event to be written', async () => (await rowsOf(foreign.id)).length === 1);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');

    const users = await db.query('SELECT id, email, "userName", "organizationId" FROM users ORDER BY "organizationId"');
    expect(users).toEqual([
      { id: 'user-1', email: 'ada@new.example.com', userName: 'Ada L.', organizationId: ORG },
      { id: 'user-1', email: 'mallory@example.com', userName: 'Mallory', organizationId: 'org_other' },
    ]);
    const [{ total }] = await db.query<{ total: number }>('SELECT count(*)::int AS total FROM audit_trail_events');
    expect(total).toBe(4);
  });
});
