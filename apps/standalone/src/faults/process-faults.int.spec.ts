import {
  connectTestBus,
  createTestDatabase,
  startFaultPipeline,
  startTcpProxy,
  startTestNats,
  type FaultPipeline,
  type TcpProxy,
  type TestBus,
  type TestDatabase,
  type TestNats,
  type TrafficOutcome,
} from '@audit/testing';
import { describeClickHouseAfterAllCases, postgresExactlyOnce, runFaultScenario } from './fault-scenario';

jest.setTimeout(240_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than every cache of the services below (keys and redaction rules are cached for 2 s here). */
const POSTGRES_OUTAGE_MS = 6_000;
const NATS_OUTAGE_MS = 2_000;
/** Longer than ingest's publish timeout (NATS_PUBLISH_TIMEOUT, 2 s). */
const NATS_FREEZE_MS = 4_000;

/**
 * The standing fault suite, single-server part: writer, projector and ingest each run as their own
 * supervised process (restarted when they die, as Kubernetes would) against one NATS server and Postgres
 * (reached through a proxy, so "Postgres down" leaves the shared server serving everyone else). In each
 * case a known set of events is posted through the project's HTTP client while one part fails; every
 * event answered 202 must then be stored exactly once in Postgres and in ClickHouse, with the rollups
 * equal to an aggregate of the events. The time to full recovery is printed, not asserted.
 */
describe('fault suite: processes killed, Postgres and NATS restarted mid-stream', () => {
  let db: TestDatabase;
  let pgProxy: TcpProxy;
  let nats: TestNats;
  let bus: TestBus;
  let pipeline: FaultPipeline;
  const outcomes = new Map<string, TrafficOutcome>();

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('faults'), startTestNats()]);
    const url = new URL(db.url);
    pgProxy = await startTcpProxy(Number(url.port || 5432));
    url.port = String(pgProxy.port);
    pipeline = await startFaultPipeline({
      databaseUrl: url.toString(),
      natsUrl: nats.url,
      env: { AUTH_KEY_CACHE_TTL: '2s', REDACTION_CACHE_TTL: '2s' },
    });
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    await pipeline?.stop();
    pipeline?.removeClickHouse();
    await bus?.close();
    await nats?.destroy();
    await pgProxy?.close();
    await db?.drop();
  });

  const scenario = async (name: string, org: string, fault: () => Promise<void>): Promise<void> => {
    const { outcome } = await runFaultScenario(name, { db, bus, pipeline }, org, fault);
    outcomes.set(org, outcome);
    expect(outcome.accepted.length).toBeGreaterThan(0);
    expect(await postgresExactlyOnce(db, org, outcome)).toEqual({ missing: [], duplicated: [], unknown: [] });
  };

  it('writer killed with SIGKILL mid-stream', async () => {
    await scenario('writer SIGKILL', 'fault_writer', () => pipeline.writer.current().kill());
    expect(pipeline.writer.crashes.length).toBeGreaterThan(0);
  });

  it('projector killed with SIGKILL mid-stream', async () => {
    await scenario('projector SIGKILL', 'fault_projector', () => pipeline.projector.current().kill());
    expect(pipeline.projector.crashes.length).toBeGreaterThan(0);
  });

  it('ingest killed with SIGKILL mid-stream', async () => {
    await scenario('ingest SIGKILL', 'fault_ingest', () => pipeline.ingest.current().kill());
    expect(pipeline.ingest.crashes.length).toBeGreaterThan(0);
  });

  it('Postgres stopped for longer than every cache, then started again', async () => {
    await scenario(`Postgres down ${POSTGRES_OUTAGE_MS / 1000} s`, 'fault_postgres', async () => {
      await pgProxy.refuse();
      await sleep(POSTGRES_OUTAGE_MS);
      await pgProxy.restore();
    });
    // Ingest accepts from the keys and rules it knows while Postgres is away: the emitter lost nothing.
    expect(outcomes.get('fault_postgres')?.refused).toEqual([]);
  });

  it('the NATS server killed with SIGKILL and restarted on its store', async () => {
    await scenario(`NATS SIGKILL, down ${NATS_OUTAGE_MS / 1000} s`, 'fault_nats', async () => {
      await nats.kill();
      await sleep(NATS_OUTAGE_MS);
      await nats.start();
    });
  });

  it('the NATS server frozen (SIGSTOP) past the publish timeout, then continued', async () => {
    // Its sockets stay open: publishes already sent are stored when it continues, after ingest gave up on
    // their acks (503 with the ids; the client sends them again with the same ids).
    await scenario(`NATS SIGSTOP ${NATS_FREEZE_MS / 1000} s`, 'fault_nats_frozen', async () => {
      await nats.pause();
      await sleep(NATS_FREEZE_MS);
      nats.resume();
    });
  });

  describeClickHouseAfterAllCases(() => pipeline, outcomes, ['fault_ingest', 'fault_nats', 'fault_nats_frozen', 'fault_postgres', 'fault_projector', 'fault_writer']);
});
