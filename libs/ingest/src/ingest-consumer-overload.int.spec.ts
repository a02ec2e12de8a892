import { setImmediate as nextTurn } from 'node:timers/promises';
import { register } from 'prom-client';
import { ingestSubject, STREAMS } from '@audit/messaging';
import { waitFor, type TestBus } from '@audit/testing';
import { startIngestPipeline, type IngestPipeline } from '@audit/testing-pipeline';
import { IngestLoadShedder } from './load-shedder';

jest.setTimeout(60_000);

const ORG = 'org_ingest_overload';

/**
 * Keeps this thread's event loop late with its own work for `ms`: busy `chunkMs` at a time, one turn of the
 * loop between chunks (timers, I/O and the consumer still run, as they would under a burst of HTTP ingest).
 */
async function keepLoopBusy(ms: number, chunkMs = 60): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const until = Math.min(end, performance.now() + chunkMs);
    while (performance.now() < until) {
      // the thread's own work
    }
    await nextTurn();
  }
}

const canonicalCount = async (bus: TestBus): Promise<number> => (await bus.jsm.streams.info(STREAMS.events)).state.messages;

/**
 * Events published on audit.ingest.<org> are consumed on the thread that, in the standalone, answers HTTP: the
 * load shedding that refuses HTTP batches while that thread's own work keeps it late holds them too.
 */
describe('ingest consumer under an overloaded event loop (INGEST_MAX_EVENT_LOOP_DELAY)', () => {
  let pipeline: IngestPipeline;

  beforeAll(async () => {
    pipeline = await startIngestPipeline('ingest_consumer_overload', { INGEST_MAX_EVENT_LOOP_DELAY: '20ms', INGEST_CONSUMER_FLUSH_INTERVAL: '5ms' });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('takes nothing from AUDIT_INGEST into AUDIT_EVENTS while the loop is overloaded, and all of it once the loop is free', async () => {
    const { bus, app } = pipeline;
    const shedder = app.get(IngestLoadShedder, { strict: false });
    const before = await canonicalCount(bus);

    const busy = keepLoopBusy(3_500);
    await waitFor('the loop to count as overloaded', () => shedder.overloadedBy() !== undefined, 2_000, 10);
    const events = Array.from({ length: 20 }, (_, i) => ({ organizationId: ORG, actionType: 'LOGIN', userId: `user-${i}` }));
    for (const event of events) await bus.js.publish(ingestSubject(ORG), JSON.stringify(event));
    // The loop still gets a turn every 60 ms, enough for the consumer to republish the batch many times over.
    let done = false;
    void busy.then(() => (done = true));
    let publishedWhileBusy = 0;
    while (!done) publishedWhileBusy = Math.max(publishedWhileBusy, (await canonicalCount(bus)) - before);
    expect(publishedWhileBusy).toBe(0);

    await waitFor('every event republished once the loop is free', async () => (await canonicalCount(bus)) - before === events.length, 20_000, 50);
    const deferred = await register.getSingleMetric('audit_ingest_events_deferred_total')?.get();
    expect(deferred?.values.find((v) => v.labels.reason === 'overloaded')?.value ?? 0).toBeGreaterThan(0);
  });
});
