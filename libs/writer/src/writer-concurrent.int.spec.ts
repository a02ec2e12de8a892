import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import {
  bootModules,
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  startTestNats,
  waitForConsumerIdle,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';
import { WriterModule } from './writer.module';

jest.setTimeout(120_000);

/**
 * Two writer instances share the durable consumer, so copies of one event (redeliveries, resends with
 * another createdAt, the same id from another organization) land in different instances' batches, whose
 * transactions run at the same time: each (organization, id) is still stored exactly once.
 */
describe('two writer instances given overlapping copies of the same ids', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  const writers: TestingModule[] = [];

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('writer_concurrent'), startTestNats()]);
    // Small batches: many short transactions from both instances, overlapping in time and in ids.
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url, CONSUMER_ACK_WAIT: '5s', WRITER_FLUSH_INTERVAL: '20ms', WRITER_BATCH_SIZE: '25' };
    for (let i = 0; i < 2; i++) writers.push(await bootModules([PlatformModule, MessagingModule, PersistenceModule, WriterModule], env));
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    for (const writer of writers) await writer.close();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
  });

  it('stores one row per organization and id, whichever instance wrote it', async () => {
    const ORGS = ['org_c1', 'org_c2'];
    const base = Date.parse('2026-04-30T23:00:00Z');
    const copies: Array<{ event: AuditEvent; msgId: string }> = [];
    for (let k = 0; k < 150; k++) {
      const id = randomUUID();
      for (const organizationId of ORGS) {
        const event = { ...canonicalEvent({ organizationId, actionType: 'LOGIN', createdAt: new Date(base + k * 1000).toISOString() }), id };
        // The original, a redelivery-like copy, and a resend two hours later (another month's partition for some).
        const resentAt = new Date(base + k * 1000 + 2 * 3_600_000).toISOString();
        copies.push({ event, msgId: `${organizationId}:${id}:1` }, { event, msgId: `${organizationId}:${id}:2` });
        copies.push({ event: { ...event, createdAt: resentAt, receivedAt: resentAt }, msgId: `${organizationId}:${id}:3` });
      }
    }
    // A fixed shuffle: copies of one id are spread across the stream and so across the instances' batches.
    const order = copies.map((c, i) => ({ c, at: (i * 7919) % copies.length })).sort((a, b) => a.at - b.at);
    await Promise.all(order.map(({ c }) => bus.js.publish(eventsSubject(c.event.organizationId, c.event.actionType), JSON.stringify(c.event), { msgID: c.msgId })));
    expect((await bus.jsm.streams.info(STREAMS.events)).state.messages).toBe(copies.length);

    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 60_000);
    const stored = await db.query<{ organizationId: string; ids: number; rows: number }>(
      `SELECT "organizationId", count(DISTINCT id)::int AS ids, count(*)::int AS rows FROM audit_trail_events GROUP BY 1 ORDER BY 1`,
    );
    expect(stored).toEqual(ORGS.map((organizationId) => ({ organizationId, ids: 150, rows: 150 })));
    expect((await bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(0);
  });
});
