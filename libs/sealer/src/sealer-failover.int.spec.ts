import { AckPolicy } from '@nats-io/jetstream';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, metricSample, scrapeMetrics, startServiceStores, waitFor, waitForConsumerIdle, type RunningService, type ServiceStores, type TestBus, type TestDatabase } from '@audit/testing';
import { checkLog } from '@audit/testing-pipeline';
import { generateNoteKey } from '@audit/transparency';
import { SEALER_LOCK_KEY } from './sealer-lease';

jest.setTimeout(180_000);

const ORGS = ['org_f1', 'org_f2', 'org_f3'];

/**
 * Sealer replicas as processes: one holds the lease and pulls (acknowledging cumulatively), the others
 * stand by. The active one is killed, cut off from its lease (its session terminated), and stopped, each
 * while events flow: every time another takes over, and every event ends up in its log exactly once.
 */
describe('sealer replicas: one active at a time, another takes over', () => {
  let stores: ServiceStores;
  let db: TestDatabase;
  let bus: TestBus;
  const key = generateNoteKey('audit.test').signerKey;
  const all = new Map<string, AuditEvent>();
  let published = 0;

  beforeAll(async () => {
    stores = await startServiceStores('sealer_failover');
    ({ db, bus } = stores);
  });

  afterAll(async () => {
    await stores?.close();
  });

  const startSealer = (): Promise<RunningService> =>
    stores.start('sealer', {
      SEALER_ACK_WAIT: '2s',
      SEALER_FLUSH_INTERVAL: '20ms',
      SEALER_BATCH_SIZE: '40',
      SEAL_INTERVAL: '200ms',
      SEALER_HANDOVER: '1s',
      SEAL_PRIVATE_KEY: key,
    });

  const isActive = async (sealer: RunningService): Promise<boolean> => metricSample(await scrapeMetrics(sealer.url), 'audit_sealer_active') === 1;

  /** The Postgres sessions holding the sealer's lock (its bigint key is split into classid and objid). */
  const lockHolders = async (): Promise<number[]> =>
    (
      await db.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [SEALER_LOCK_KEY],
      )
    ).map((r) => r.pid);

  const sealed = async (): Promise<number> => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_leaves'))[0].n;

  /** Publishes `count` new events over the organizations, a few at a time so they keep coming while the test acts. */
  const publishFlow = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i += 20) {
      const chunk = Array.from({ length: Math.min(20, count - i) }, (_, j) => {
        const k = published++;
        return canonicalEvent({ organizationId: ORGS[k % ORGS.length], actionType: 'LOGIN', userId: `u-${k % 7}`, metadata: { k } });
      });
      for (const e of chunk) all.set(e.id, e);
      await Promise.all(chunk.map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  /** Every event published so far is in its organization's log, once, and nothing was dead-lettered. */
  const expectEachSealedOnce = async (): Promise<void> => {
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 60_000);
    for (const organizationId of ORGS) {
      const log = await checkLog(db, organizationId, all);
      const expected = [...all.values()].filter((e) => e.organizationId === organizationId).map((e) => e.id);
      expect(log.size).toBe(expected.length);
      expect(new Set(log.ids)).toEqual(new Set(expected));
    }
    expect((await bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(0);
  };

  it('keeps one sealer pulling; a standby takes over from a killed, a cut-off and a stopped one, and seals every event once', async () => {
    const first = await startSealer();
    await waitFor('the first sealer to be active', () => isActive(first));
    const second = await startSealer();
    await waitFor('the second sealer to stand by (ready, lock held elsewhere)', async () => (await lockHolders()).length === 1 && !(await isActive(second)));
    // The active sealer acknowledges cumulatively: what its lease makes safe.
    expect((await bus.jsm.consumers.info(STREAMS.events, 'sealer')).config.ack_policy).toBe(AckPolicy.All);
    await publishFlow(200);
    await expectEachSealedOnce();
    expect(await isActive(second)).toBe(false);

    // 1. Killed while events flow: Postgres ends its session, the standby takes the lock and, after the
    //    handover, pulls; what the dead one held comes back after the ack wait.
    const flowing = publishFlow(600);
    await waitFor('the first sealer to be sealing the flow', async () => (await sealed()) > 300);
    await first.kill();
    await flowing;
    await waitFor('the second sealer to take over', () => isActive(second), 30_000);
    await expectEachSealedOnce();

    // 2. Cut off from its lease (its lock session terminated, as a Postgres restart or a lost connection
    //    would): it stops pulling, and a sealer (the third, or itself again) takes the lease back.
    const third = await startSealer();
    expect(await isActive(third)).toBe(false);
    const [holder] = await lockHolders();
    const cutOff = publishFlow(600);
    await waitFor('the second sealer to be sealing the flow', async () => (await sealed()) > 1000);
    await db.query('SELECT pg_terminate_backend($1)', [holder]);
    await cutOff;
    await waitFor('the second sealer to report its lease lost', () => second.output().includes('sealer lease lost'), 30_000);
    await waitFor('one sealer active again', async () => (await isActive(second)) !== (await isActive(third)), 30_000);
    await expectEachSealedOnce();

    // 3. Stopped (SIGTERM) while events flow: it acknowledges what it finished and frees the lock at once.
    const [active, standby] = (await isActive(second)) ? [second, third] : [third, second];
    const stopped = publishFlow(600);
    await waitFor('the active sealer to be sealing the flow', async () => (await sealed()) > 1700);
    expect(await active.stop()).toBe(0);
    await stopped;
    await waitFor('the standby to take over', () => isActive(standby), 30_000);
    await expectEachSealedOnce();
    expect(await lockHolders()).toHaveLength(1);
  });
});
