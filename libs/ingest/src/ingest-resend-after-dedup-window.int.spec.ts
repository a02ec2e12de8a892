import { ingestSubject, STREAMS } from '@audit/messaging';
import { sleep } from '@audit/platform';
import { readStream, waitFor, waitForConsumerIdle, type TestBus, type TestDatabase } from '@audit/testing';
import { startIngestPipeline, type IngestPipeline } from '@audit/testing-pipeline';

jest.setTimeout(60_000);

const ORG = 'org_resend';

/**
 * The bus drops a repeated event id only within STREAM_DEDUP_WINDOW (10 minutes by default; 1 s here). An
 * emitter retrying later with its id and no createdAt gets a new createdAt (the time of the retry), so
 * the copy reaches AUDIT_EVENTS and the writer: the event must still be stored once.
 */
describe('an event resent with its id and without createdAt after the dedup window', () => {
  let pipeline: IngestPipeline;
  let db: TestDatabase;
  let bus: TestBus;

  beforeAll(async () => {
    pipeline = await startIngestPipeline('ingest_resend', { STREAM_DEDUP_WINDOW: '1s' });
    ({ db, bus } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('is stored once, with the first copy', async () => {
    const event = { id: '0b7e0c9a-5d8f-4a43-9f4e-2b1f3c4d5e6f', organizationId: ORG, actionType: 'CREATE_GROUP', userId: 'u-1', metadata: { group: 'admins' } };
    await bus.js.publish(ingestSubject(ORG), JSON.stringify(event));
    const [first] = await waitFor('the first copy to be stored', async () => {
      const rows = await db.query<{ createdAt: Date }>('SELECT "createdAt" FROM audit_trail_events WHERE id = $1', [event.id]);
      return rows.length > 0 ? rows : undefined;
    });

    await sleep(1_500); // past the dedup window: the bus no longer knows the id
    await bus.js.publish(ingestSubject(ORG), JSON.stringify(event));
    await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest');
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');

    // Both copies reached the canonical stream, with different createdAt: only the writer could keep them apart.
    const copies = (await readStream(bus.jsm, STREAMS.events)).map((m) => (JSON.parse(m.data) as { id: string; createdAt: string }));
    expect(copies.map((c) => c.id)).toEqual([event.id, event.id]);
    expect(new Set(copies.map((c) => c.createdAt)).size).toBe(2);
    expect(await db.query('SELECT "createdAt" FROM audit_trail_events WHERE id = $1', [event.id])).toEqual([first]);
  });
});
