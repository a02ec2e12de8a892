import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { eventMessageId, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  clickHouseCopies,
  exactlyOnce,
  privateClickHousePath,
  readClickHouse,
  startServiceStores,
  waitFor,
  waitForConsumerIdle,
  type RunningService,
  type ServiceStores,
} from '@audit/testing';
import { checkLog, openWithListedKeys, type CheckedLog } from '@audit/testing-pipeline';
import { CompactRange, consistencyProof, generateNoteKey, InMemoryHashStore, leafHash, receivedThroughOf, rootOf, verifyConsistency } from '@audit/transparency';

jest.setTimeout(600_000);

/**
 * How long the sealers allow between an event's receivedAt and its publish (1 min by default): short, so the
 * checkpoints' received-through lines state times inside each run and are put to the test.
 */
const RECEIVED_MARGIN = '2s';
const RECEIVED_MARGIN_MS = 2_000;
/** Times a terminate-postgres fault ends every session of the services, 100 ms apart. */
const TERMINATIONS = 10;
/** Publishing a run's events takes about this long; the faults come within it. */
const PUBLISH_SPREAD_MS = 1_500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What goes wrong once during a run, `atMs` after the first event is published. */
type Fault = { atMs: number; kind: 'kill-writer' | 'kill-sealer' | 'kill-projector' | 'freeze-writer' | 'freeze-sealer' | 'terminate-postgres' };

interface Shape {
  organizations: number;
  perOrganization: number;
  /** Events published per burst (each burst awaited before the next). */
  burst: number;
  faults: Fault[];
}

const shapes: fc.Arbitrary<Shape> = fc.record({
  organizations: fc.integer({ min: 1, max: 3 }),
  perOrganization: fc.integer({ min: 50, max: 400 }),
  burst: fc.integer({ min: 1, max: 200 }),
  faults: fc.array(
    fc.record({ atMs: fc.integer({ min: 0, max: 1_500 }), kind: fc.constantFrom<Fault['kind']>('kill-writer', 'kill-sealer', 'kill-projector', 'freeze-writer', 'freeze-sealer', 'terminate-postgres') }),
    { minLength: 1, maxLength: 3 },
  ),
});

/**
 * The writer and the sealer as processes of their own, two replicas of each, and the projector, one of them SIGKILLed (and
 * restarted, as Kubernetes would) or frozen (SIGSTOP) past its ack wait and thawed, or all cut off from
 * Postgres (every session of theirs ended by pg_terminate_backend) at random times while random
 * batches of several organizations stream in. Afterwards each event is in Postgres once, in its own
 * organization, and in its organization's log once, at leaf indexes 0..n-1; every checkpoint signed along
 * the way is a prefix of that log, consistent (RFC 9162 proof) with the one before it, and holds every
 * event received at or before the time its received-through line states. The organizations of a run share
 * their event ids, as nothing stops them from doing. Once every run is done, ClickHouse holds each event of
 * every run once, with rollups equal to an aggregate of the events.
 */
describe('fault suite: writer, sealer and projector killed, frozen, their Postgres sessions terminated, at random points', () => {
  let stores: ServiceStores;
  const running: { writer?: RunningService; sealer?: RunningService; projector?: RunningService } = {};
  /** The projector's embedded ClickHouse, kept across its restarts and read once it has stopped for good. */
  const clickhouse = privateClickHousePath();
  /** Every event sent, by organization, over every run: what ClickHouse must hold once. */
  const sentByOrganization = new Map<string, string[]>();
  /** A second replica of each, which takes over what a frozen one holds once its ack wait passed. */
  const seconds: RunningService[] = [];
  const key = generateNoteKey('audit.test');
  let run = 0;
  /** Checkpoints with a received-through line, and the events they vouch for, over every run: none would make the check idle. */
  const vouched = { checkpoints: 0, events: 0 };

  const replica = (app: 'writer' | 'sealer' | 'projector'): Promise<RunningService> =>
    app === 'writer'
      ? stores.start('writer', { CONSUMER_ACK_WAIT: '2s' })
      : app === 'projector'
        ? stores.start('projector', { CONSUMER_ACK_WAIT: '2s', CLICKHOUSE_PATH: clickhouse.path, PROJECTOR_FLUSH_INTERVAL: '50ms' })
        : stores.start('sealer', { SEALER_ACK_WAIT: '2s', SEALER_FLUSH_INTERVAL: '20ms', SEAL_INTERVAL: '200ms', SEAL_RECEIVED_MARGIN: RECEIVED_MARGIN, SEAL_PRIVATE_KEY: key.signerKey });
  const start = async (app: 'writer' | 'sealer' | 'projector'): Promise<void> => {
    running[app] = await replica(app);
  };

  beforeAll(async () => {
    stores = await startServiceStores('faults_stores');
    await Promise.all([start('writer'), start('sealer'), start('projector')]);
    seconds.push(...(await Promise.all([replica('writer'), replica('sealer')])));
  });

  afterAll(async () => {
    await stores?.close();
    clickhouse.remove();
  });

  const inject = async (fault: Fault): Promise<void> => {
    if (fault.kind === 'terminate-postgres') {
      // Again and again for a second, so some land inside a transaction (a COPY of leaves, a batch insert).
      for (let i = 0; i < TERMINATIONS; i++) {
        await stores.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
        await sleep(100);
      }
      return;
    }
    const app = fault.kind.endsWith('writer') ? 'writer' : fault.kind.endsWith('projector') ? 'projector' : 'sealer';
    if (fault.kind.startsWith('freeze')) {
      // Past the ack wait (2 s): the other replica is given what this one holds, mid-batch or mid-transaction.
      running[app]?.process.kill('SIGSTOP');
      await sleep(3_000);
      running[app]?.process.kill('SIGCONT');
      return;
    }
    await running[app]?.kill();
    await start(app);
  };

  it('stores and seals every event exactly once, with consistent checkpoints', async () => {
    await fc.assert(
      fc.asyncProperty(shapes, async (shape) => {
        run++;
        const orgs = Array.from({ length: shape.organizations }, (_, i) => `fault_store_${run}_${i}`);
        // Every organization uses the same ids (an id is unique within its organization only), so one
        // organization's copy taken for another's duplicate would be lost.
        const inputs = Array.from({ length: shape.perOrganization }, (_, k) => {
          const id = randomUUID();
          return orgs.map((organizationId): AuditEventInput => ({ id, organizationId, actionType: k % 2 ? 'LOGIN' : 'QUERY_RUN', userId: `u-${k % 7}`, metadata: { k } }));
        }).flat();
        const events = new Map(orgs.map((org) => [org, new Map<string, AuditEvent>()]));
        const all: AuditEvent[] = [];
        const startedAt = Date.now();
        const faults = (async () => {
          for (const fault of [...shape.faults].sort((a, b) => a.atMs - b.atMs)) {
            await sleep(Math.max(0, startedAt + fault.atMs - Date.now()));
            await inject(fault);
          }
        })();
        // Spread over the faults' window, so they land while batches are in hand.
        const pauseMs = PUBLISH_SPREAD_MS / Math.ceil(inputs.length / shape.burst);
        for (let i = 0; i < inputs.length; i += shape.burst) {
          // Received as ingest receives them, just before their publish: the checkpoints' received-through lines rest on that.
          const now = new Date();
          const burst = inputs.slice(i, i + shape.burst).map((input) => canonicalEvent(input, now));
          for (const event of burst) events.get(event.organizationId)?.set(event.id, event);
          all.push(...burst);
          await Promise.all(
            burst.map((e) => stores.bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: eventMessageId(e.organizationId, e.id) })),
          );
          await sleep(pauseMs);
        }
        await faults;
        console.log(
          `[fault suite] stores run ${run}: ${all.length} events of ${orgs.length} organizations in bursts of ${shape.burst}, ` +
            shape.faults.map((f) => `${f.kind} at ${f.atMs} ms`).join(', '),
        );

        for (const durable of ['writer', 'sealer', 'projector'] as const) await waitForIdle(durable);
        for (const org of orgs) sentByOrganization.set(org, all.filter((e) => e.organizationId === org).map((e) => e.id));
        expect((await stores.bus.jsm.streams.info(STREAMS.dlq)).state.messages).toBe(0);
        const [rows] = await stores.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = ANY($1)`, [orgs]);
        expect(rows.n).toBe(all.length);

        for (const organizationId of orgs) {
          const own = all.filter((e) => e.organizationId === organizationId).map((e) => e.id);
          const stored = await stores.db.query<{ id: string; userId: string; metadata: { k: number } }>(
            `SELECT id, "userId", metadata FROM audit_trail_events WHERE "organizationId" = $1 AND id = ANY($2::uuid[])`,
            [organizationId, own],
          );
          expect(stored.length).toBe(own.length);
          expect(new Set(stored.map((r) => r.id)).size).toBe(own.length);
          const sent = events.get(organizationId) ?? new Map<string, AuditEvent>();
          expect(stored.every((r) => sent.get(r.id)?.userId === r.userId && (sent.get(r.id)?.metadata as { k: number }).k === r.metadata.k)).toBe(true);

          const log = await checkLog(stores.db, organizationId, sent);
          expect(log.size).toBe(own.length);
          expect(new Set(log.ids)).toEqual(new Set(own));
          await expectConsistentCheckpoints(organizationId, log, sent);
        }
      }),
      { numRuns: Number(process.env.FAULT_RUNS ?? 2), endOnFailure: true, seed: process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : undefined },
    );
    // However the random runs fell (their events can all be sealed within the margin, and no later checkpoint
    // is signed without new leaves), one quiet run that a received-through line must cover, so the check is
    // never idle: an event, then, past the margin, another, whose checkpoint states a time after the first.
    run++;
    const quiet = `fault_store_${run}_quiet`;
    const publishOne = async (k: number): Promise<AuditEvent> => {
      const event = canonicalEvent({ id: randomUUID(), organizationId: quiet, actionType: 'LOGIN', userId: 'u-0', metadata: { k } }, new Date());
      await stores.bus.js.publish(eventsSubject(quiet, event.actionType), JSON.stringify(event), { msgID: eventMessageId(quiet, event.id) });
      return event;
    };
    const first = await publishOne(0);
    await sleep(RECEIVED_MARGIN_MS + 500);
    const second = await publishOne(1);
    for (const durable of ['writer', 'sealer', 'projector'] as const) await waitForIdle(durable);
    sentByOrganization.set(quiet, [first.id, second.id]);
    const quietEvents = new Map([first, second].map((e) => [e.id, e]));
    await expectConsistentCheckpoints(quiet, await checkLog(stores.db, quiet, quietEvents), quietEvents);
    console.log(`[fault suite] stores: ${vouched.checkpoints} checkpoints stated a received-through time, vouching for ${vouched.events} events`);
    expect(vouched.events).toBeGreaterThan(0);
  });

  it('has projected every event of every run exactly once into ClickHouse, with exact rollups', async () => {
    expect(sentByOrganization.size).toBeGreaterThan(0);
    // chDB binds its directory to one process: read it once the projector has stopped.
    await running.projector?.stop();
    const contents = await readClickHouse(clickhouse.path);
    for (const [organizationId, ids] of sentByOrganization) {
      const outcome = { accepted: ids, refused: [], longestWaitMs: 0 };
      expect({ organizationId, ...exactlyOnce(clickHouseCopies(contents, organizationId), outcome) }).toEqual({ organizationId, missing: [], duplicated: [], unknown: [] });
    }
    for (const [name, { rollup, events }] of Object.entries(contents.rollups)) expect({ name, rollup }).toEqual({ name, rollup: events });
  });

  /** Waits until a consumer has acknowledged everything; if it does not, shows why (its state, the sessions, the services' last output). */
  async function waitForIdle(durable: 'writer' | 'sealer' | 'projector'): Promise<void> {
    await waitForConsumerIdle(stores.bus.jsm, STREAMS.events, durable, 120_000).catch(async (error: Error) => {
      const info = await stores.bus.jsm.consumers.info(STREAMS.events, durable);
      const sessions = await stores.db.query(
        `SELECT state, wait_event, left(query, 120) AS query, now() - state_change AS since FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      console.log(JSON.stringify({ durable, pending: info.num_pending, ackPending: info.num_ack_pending, sessions }));
      for (const service of [running[durable], ...seconds]) console.log(`--- pid ${service?.process.pid} ---\n${service?.output().slice(-5_000)}`);
      throw error;
    });
  }

  /**
   * Waits for a checkpoint of the whole log, then checks each checkpoint against the leaves and the one
   * before it, and its received-through line: every event received at or before it is among its leaves.
   */
  async function expectConsistentCheckpoints(organizationId: string, log: CheckedLog, events: ReadonlyMap<string, AuditEvent>): Promise<void> {
    const { size } = log;
    await waitFor(
      `a checkpoint of all ${size} leaves of ${organizationId}`,
      async () => {
        const [latest] = await stores.db.query<{ n: string }>(`SELECT max("treeSize") AS n FROM log_checkpoints WHERE "organizationId" = $1`, [organizationId]);
        return Number(latest.n) === size;
      },
      30_000,
    );
    const leaves = await stores.db.query<{ leaf: Buffer }>(
      `SELECT log_leaf_bytes(l.leaf, l."organizationId", l."eventId", l."actionType", l.commitment, l."createdAt", l."receivedAt") AS leaf
       FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`,
      [organizationId],
    );
    const hashes = leaves.map((l) => leafHash(l.leaf));
    const store = new InMemoryHashStore();
    const { nodes } = CompactRange.empty().append(hashes);
    store.put(nodes);
    const checkpoints = await stores.db.query<{ note: string }>(`SELECT note FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize"`, [organizationId]);
    let previous: { size: number; rootHash: Buffer } | undefined;
    for (const { note } of checkpoints) {
      const checkpoint = await openWithListedKeys(stores.db, note);
      expect(checkpoint.rootHash.equals(rootOf(hashes.slice(0, checkpoint.size)))).toBe(true);
      const through = receivedThroughOf(checkpoint);
      if (through !== null) {
        vouched.checkpoints++;
        const sealed = new Set(log.ids.slice(0, checkpoint.size));
        const covered = [...events.values()].filter((e) => e.organizationId === organizationId && e.receivedAt <= through);
        vouched.events += covered.length;
        const unsealed = covered.filter((e) => !sealed.has(e.id));
        expect({ size: checkpoint.size, through, unsealed: unsealed.map((e) => `${e.id} received ${e.receivedAt}`) }).toEqual({ size: checkpoint.size, through, unsealed: [] });
      }
      if (previous) {
        expect(checkpoint.size).toBeGreaterThan(previous.size);
        verifyConsistency(previous.size, checkpoint.size, previous.rootHash, checkpoint.rootHash, await consistencyProof(store, previous.size, checkpoint.size));
      }
      previous = { size: checkpoint.size, rootHash: checkpoint.rootHash };
    }
    expect(previous?.size).toBe(size);
  }
});
