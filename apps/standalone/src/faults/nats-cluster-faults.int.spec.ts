import { STREAMS } from '@audit/messaging';
import {
  connectTestBus,
  createTestDatabase,
  jetStreamLeader,
  moveLeadersTo,
  startFaultPipeline,
  startTestNatsCluster,
  type FaultPipeline,
  type TestBus,
  type TestDatabase,
  type TestNatsCluster,
  type TrafficOutcome,
} from '@audit/testing';
import { describeClickHouseAfterAllCases, postgresExactlyOnce, runFaultScenario } from './fault-scenario';

jest.setTimeout(240_000);

/** The consumers that store events: their leaders move with the stream's. */
const CONSUMERS = ['writer', 'projector'];
/** The node the services and the test connect to; the other nodes may be lost. */
const SEED = 'n1';

/**
 * The standing fault suite, cluster part: a 3-node JetStream cluster on loopback ports, every stream with
 * three replicas (STREAM_REPLICAS=3). The node leading AUDIT_EVENTS and the writer's and projector's
 * consumers is lost mid-stream (SIGKILL), then the leaders are moved again by a step-down: every event
 * answered 202 must be stored exactly once, in Postgres and in ClickHouse, with exact rollups.
 */
describe('fault suite: a 3-node NATS cluster losing the leader of the stream and the consumers', () => {
  let db: TestDatabase;
  let cluster: TestNatsCluster;
  let bus: TestBus;
  let pipeline: FaultPipeline;
  const outcomes = new Map<string, TrafficOutcome>();

  beforeAll(async () => {
    [db, cluster] = await Promise.all([createTestDatabase('faults_cluster'), startTestNatsCluster(3)]);
    pipeline = await startFaultPipeline({ databaseUrl: db.url, natsUrl: cluster.node(SEED).url, env: { STREAM_REPLICAS: '3' } });
    bus = await connectTestBus(cluster.node(SEED).url);
  });

  afterAll(async () => {
    await pipeline?.stop();
    pipeline?.removeClickHouse();
    await bus?.close();
    await cluster?.destroy();
    await db?.drop();
  });

  it('loses the node leading the stream and both consumers (SIGKILL)', async () => {
    const victim = 'n2';
    await moveLeadersTo(bus.nc, bus.jsm, victim, STREAMS.events, CONSUMERS);
    const org = 'fault_cluster_node';
    const { outcome } = await runFaultScenario(`NATS cluster: ${victim} (leader of ${STREAMS.events}, ${CONSUMERS.join(', ')}) SIGKILL`, { db, bus, pipeline }, org, () =>
      cluster.node(victim).kill(),
    );
    outcomes.set(org, outcome);
    expect(await jetStreamLeader(bus.jsm, STREAMS.events)).not.toBe(victim);
    expect(await postgresExactlyOnce(db, org, outcome)).toEqual({ missing: [], duplicated: [], unknown: [] });
    await cluster.node(victim).start();
  });

  it('moves the leaders of the stream and both consumers by a step-down', async () => {
    const from = 'n3';
    await moveLeadersTo(bus.nc, bus.jsm, from, STREAMS.events, CONSUMERS);
    const org = 'fault_cluster_stepdown';
    const { outcome } = await runFaultScenario(`NATS cluster: leaders stepped down from ${from}`, { db, bus, pipeline }, org, async () => {
      for (const consumer of [undefined, ...CONSUMERS]) {
        const subject = consumer === undefined ? `$JS.API.STREAM.LEADER.STEPDOWN.${STREAMS.events}` : `$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAMS.events}.${consumer}`;
        await bus.nc.request(subject, undefined, { timeout: 5_000 });
      }
    });
    outcomes.set(org, outcome);
    expect(await postgresExactlyOnce(db, org, outcome)).toEqual({ missing: [], duplicated: [], unknown: [] });
  });

  describeClickHouseAfterAllCases(() => pipeline, outcomes, ['fault_cluster_node', 'fault_cluster_stepdown']);
});
