import type { TestingModule } from '@nestjs/testing';
import { eventsSubject, MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { canonicalEvent, readStream, startTestPipeline, waitFor, type TestBus, type TestDatabase, type TestNats, type TestPipeline } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';
import { LogAppender } from './log-appender';
import { SealerModule } from './sealer.module';

jest.setTimeout(120_000);

/**
 * A checkpoint signed while the bus cannot take it is kept, unpublished, and published once the bus is
 * back: no checkpoint is lost between the database and the machines it is shipped to.
 */
describe('sealer: checkpoints signed while the bus is down', () => {
  let pipeline: TestPipeline;
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let sealer: TestingModule;
  const ORG = 'org_outbox';

  beforeAll(async () => {
    pipeline = await startTestPipeline('sealer_outbox', [MessagingModule, PersistenceModule, SealerModule], {
      SEAL_INTERVAL: '300ms',
      NATS_PUBLISH_TIMEOUT: '500ms',
      SEAL_PRIVATE_KEY: generateNoteKey('audit.test').signerKey,
    });
    ({ db, nats, bus, app: sealer } = pipeline);
  });

  afterAll(async () => {
    nats?.resume();
    await pipeline?.close();
  });

  const published = async (): Promise<string[]> => (await readStream(bus.jsm, STREAMS.checkpoints)).map((m) => m.data.split('\n')[1]);

  it('stores the checkpoint, publishes it when the bus answers again, and only once', async () => {
    const first = [1, 2, 3].map((i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `u-${i}` }));
    for (const e of first) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
    await waitFor('the checkpoint of 3 on the bus', async () => (await published()).includes('3'), 20_000);

    await nats.pause();
    // Sealed while the bus is frozen (as if its events had been delivered just before).
    await sealer.get(LogAppender).append(ORG, [4, 5].map((i) => canonicalEvent({ organizationId: ORG, actionType: 'LOGIN', userId: `u-${i}` })));
    await waitFor('the checkpoint of 5 signed and kept unpublished', async () => {
      const rows = await db.query<{ publishedAt: Date | null }>(`SELECT "publishedAt" FROM log_checkpoints WHERE "organizationId" = $1 AND "treeSize" = 5`, [ORG]);
      return rows.length === 1 && rows[0].publishedAt === null;
    }, 20_000);
    // Several passes fail to publish it meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    nats.resume();

    await waitFor('the checkpoint of 5 on the bus', async () => (await published()).includes('5'), 30_000);
    await waitFor('it is marked published', async () => {
      const [row] = await db.query<{ publishedAt: Date | null }>(`SELECT "publishedAt" FROM log_checkpoints WHERE "organizationId" = $1 AND "treeSize" = 5`, [ORG]);
      return row.publishedAt !== null;
    });
    expect(await published()).toEqual(['3', '5']);
  });
});
