import { Client } from 'pg';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, startServiceStores, waitFor, waitForConsumerIdle, type RunningService, type ServiceStores, type TestBus, type TestDatabase } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';
import { checkLog } from '@audit/testing-pipeline';

jest.setTimeout(120_000);

const N = 40;

/**
 * A sealer killed (SIGKILL) in the middle of appending: its transaction holds the organization's log and
 * has read it, and its write is waiting. Nothing of it may remain, and the next sealer, given the same
 * events again by the bus, appends each exactly once after the leaves committed before the crash.
 */
describe('sealer: a crash in the middle of an append', () => {
  let stores: ServiceStores;
  let db: TestDatabase;
  let bus: TestBus;
  let locker: Client | undefined;
  const key = generateNoteKey('audit.test').signerKey;

  beforeAll(async () => {
    stores = await startServiceStores('sealer_crash');
    ({ db, bus } = stores);
  });

  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await stores?.close();
  });

  const startSealer = (): Promise<RunningService> =>
    stores.start('sealer', { SEALER_ACK_WAIT: '2s', SEALER_FLUSH_INTERVAL: '20ms', SEAL_INTERVAL: '200ms', SEAL_PRIVATE_KEY: key });

  const publish = (events: readonly AuditEvent[]) =>
    Promise.all(events.map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));

  it('leaves nothing of the interrupted append, and the next sealer appends every event once', async () => {
    const org = 'org_crash';
    const all = new Map<string, AuditEvent>();
    const make = (i: number) => canonicalEvent({ organizationId: org, actionType: 'LOGIN', userId: `u-${i}`, metadata: { i } });
    const before = Array.from({ length: 10 }, (_, i) => make(i));
    const during = Array.from({ length: N }, (_, i) => make(100 + i));
    for (const e of [...before, ...during]) all.set(e.id, e);

    const first = await startSealer();
    // SEALER_ACK_WAIT, not CONSUMER_ACK_WAIT (5 s by default), is the consumer's: what brings the held messages back below.
    expect((await bus.jsm.consumers.info(STREAMS.events, 'sealer')).config.ack_wait).toBe(2_000_000_000);
    await publish(before);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 30_000);
    expect((await checkLog(db, org, all)).size).toBe(10);

    // Writes to the log's subtree table wait behind this lock; reads of it do not.
    locker = new Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE log_nodes IN EXCLUSIVE MODE');
    await publish(during);
    await waitFor('the sealer to be inside an append, waiting to write', async () => {
      const [waiting] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = 'log_nodes'::regclass`,
      );
      return waiting.n > 0;
    });
    await first.kill();
    await locker.query('COMMIT');
    await locker.end();
    locker = undefined;

    // The killed sealer's transaction is rolled back: the log is still the 10 leaves sealed before.
    await waitFor('the dead session to be gone', async () => {
      const [open] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
      return open.n === 0;
    });
    expect((await checkLog(db, org, all)).size).toBe(10);

    await startSealer();
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 30_000);
    const log = await checkLog(db, org, all);
    expect(log.size).toBe(10 + N);
    expect(new Set(log.ids.slice(0, 10))).toEqual(new Set(before.map((e) => e.id)));
    expect(new Set(log.ids)).toEqual(new Set(all.keys()));
    expect((await bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(0);
  });
});
