import { DiscardPolicy } from '@nats-io/jetstream';
import { STREAMS } from '@audit/messaging';
import { createIngestKey, startServiceStores, waitFor, waitForConsumerIdle, type RunningService, type ServiceStores } from '@audit/testing';

jest.setTimeout(120_000);

const ORG = 'org_partial_publish';
const STORED_BEFORE_FULL = 3;

/**
 * A batch the bus takes only in part (here AUDIT_EVENTS is full after three of its events; a node lost mid
 * batch, or acks lost to a timeout, do the same): ingest answers 503, yet some of its events are stored
 * under ids the emitter did not choose. The answer gives those ids, so sending the batch again with them
 * stores each event exactly once; without them a retry stores the stored ones a second time.
 */
describe('ingest: a batch the bus accepts only in part', () => {
  let stores: ServiceStores;
  let ingest: RunningService;
  let key: string;

  beforeAll(async () => {
    stores = await startServiceStores('ingest_partial_publish');
    [ingest] = await Promise.all([stores.start('ingest'), stores.start('writer', { CONSUMER_ACK_WAIT: '2s', WRITER_FLUSH_INTERVAL: '20ms' })]);
    key = await createIngestKey(stores.db.url, ORG);
  });

  afterAll(async () => {
    await stores?.close();
  });

  const post = async (body: unknown): Promise<{ status: number; body: { ids?: string[]; error?: { code: string; details?: { ids?: string[] } } } }> => {
    const response = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as never };
  };

  it('answers 503 with the ids it gave, and a retry with them stores each event once', async () => {
    const batch = Array.from({ length: 10 }, (_, i) => ({ organizationId: ORG, actionType: 'LOGIN', userId: `u-${i}`, metadata: { i } }));
    const { config, state } = await stores.bus.jsm.streams.info(STREAMS.events);
    await stores.bus.jsm.streams.update(STREAMS.events, { max_msgs: state.messages + STORED_BEFORE_FULL, discard: DiscardPolicy.New });
    const refused = await post(batch);
    await stores.bus.jsm.streams.update(STREAMS.events, { max_msgs: config.max_msgs, discard: config.discard });

    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('BUS_UNAVAILABLE');
    const ids = refused.body.error?.details?.ids ?? [];
    expect(ids).toHaveLength(batch.length);
    await waitForConsumerIdle(stores.bus.jsm, STREAMS.events, 'writer');
    expect((await stores.db.query(`SELECT id FROM audit_trail_events WHERE "organizationId" = $1`, [ORG])).length).toBe(STORED_BEFORE_FULL);

    const retried = await post(batch.map((event, i) => ({ ...event, id: ids[i] })));
    expect(retried).toEqual({ status: 202, body: { ids } });
    await waitForConsumerIdle(stores.bus.jsm, STREAMS.events, 'writer');
    const stored = await waitFor('the batch stored', async () => {
      const rows = await stores.db.query<{ id: string; userId: string }>(`SELECT id, "userId" FROM audit_trail_events WHERE "organizationId" = $1`, [ORG]);
      return rows.length >= batch.length ? rows : undefined;
    });
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(stored.map((r) => r.userId).sort()).toEqual(batch.map((e) => e.userId).sort());
  });
});
