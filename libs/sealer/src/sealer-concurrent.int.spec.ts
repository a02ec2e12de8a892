import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { canonicalEvent, readStream, startTestPipeline, waitFor, waitForConsumerIdle, type TestBus, type TestDatabase, type TestPipeline } from '@audit/testing';
import { checkLog, openWithListedKeys } from '@audit/testing-pipeline';
import { SealerModule } from './sealer.module';
import { generateNoteKey } from '@audit/transparency';

jest.setTimeout(120_000);

/**
 * Two sealer instances share the durable consumer and hold the same key, and every event comes three
 * times (as redeliveries and replays do), spread across the stream so copies land in both instances'
 * batches at once: each event is still appended exactly once, and the logs they build together are whole.
 */
describe('two sealers at once, given overlapping copies of the same events', () => {
  let pipeline: TestPipeline;
  let db: TestDatabase;
  let bus: TestBus;
  const ORGS = ['org_s1', 'org_s2', 'org_s3'];
  const PER_ORG = 120;

  beforeAll(async () => {
    const env = {
      CONSUMER_ACK_WAIT: '5s',
      SEALER_ACK_WAIT: '5s',
      SEALER_FLUSH_INTERVAL: '10ms',
      SEALER_BATCH_SIZE: '20',
      SEAL_INTERVAL: '200ms',
      SEAL_PRIVATE_KEY: generateNoteKey('audit.test').signerKey,
    };
    pipeline = await startTestPipeline('sealer_concurrent', [MessagingModule, PersistenceModule, SealerModule], env, { replicas: 2 });
    ({ db, bus } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('appends every event once, in one gap-free log per organization, and signs and publishes checkpoints of it', async () => {
    const events = new Map<string, AuditEvent>();
    const copies: Array<{ event: AuditEvent; msgId: string }> = [];
    for (let k = 0; k < PER_ORG; k++) {
      for (const organizationId of ORGS) {
        const event = canonicalEvent({
          organizationId,
          actionType: k % 2 === 0 ? 'LOGIN' : 'QUERY_RUN',
          userId: `u-${k % 5}`,
          user: k % 3 === 0 ? null : { email: `u${k % 5}@example.com`, userName: `user ${k % 5}` },
          metadata: { k, nested: { list: [k, 'x', null] } },
        });
        events.set(event.id, event);
        for (let c = 0; c < 3; c++) copies.push({ event, msgId: `${event.id}:${c}` });
      }
    }
    const order = copies.map((c, i) => ({ c, at: (i * 7919) % copies.length })).sort((a, b) => a.at - b.at);
    await Promise.all(order.map(({ c }) => bus.js.publish(eventsSubject(c.event.organizationId, c.event.actionType), JSON.stringify(c.event), { msgID: c.msgId })));

    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 60_000);
    for (const organizationId of ORGS) {
      const log = await checkLog(db, organizationId, events);
      expect(log.size).toBe(PER_ORG);
      expect(new Set(log.ids)).toEqual(new Set([...events.values()].filter((e) => e.organizationId === organizationId).map((e) => e.id)));
    }
    expect((await bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(0);

    // Checkpoints: at the latest, SEAL_INTERVAL after the last append, each log's head is signed and published.
    const published = await waitFor('a checkpoint of every full log on the bus', async () => {
      const messages = await readStream(bus.jsm, STREAMS.checkpoints);
      const latest = new Map<string, string>();
      for (const m of messages) latest.set(m.subject, m.data);
      return ORGS.every((org) => latest.get(`audit.checkpoints.${org}`)?.split('\n')[1] === String(PER_ORG)) ? latest : undefined;
    }, 20_000);
    for (const organizationId of ORGS) {
      const note = published.get(`audit.checkpoints.${organizationId}`) as string;
      const checkpoint = await openWithListedKeys(db, note);
      expect(checkpoint).toMatchObject({ origin: `audit-trail/log/${organizationId}`, size: PER_ORG });
      expect(checkpoint.rootHash.equals((await checkLog(db, organizationId, events)).rootHash)).toBe(true);
      const stored = await db.query<{ treeSize: string; publishedAt: Date | null }>(
        `SELECT "treeSize", "publishedAt" FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize"`,
        [organizationId],
      );
      // Checkpoints only grow, and each one is on the bus.
      expect(stored.every((c) => c.publishedAt !== null)).toBe(true);
      expect(stored.map((c) => Number(c.treeSize))).toEqual([...stored.map((c) => Number(c.treeSize))].sort((a, b) => a - b));
    }
  });
});
