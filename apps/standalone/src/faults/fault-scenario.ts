import { STREAMS } from '@audit/messaging';
import {
  clickHouseCopies,
  createIngestKey,
  exactlyOnce,
  faultTolerantClient,
  postgresCopies,
  readClickHouse,
  Traffic,
  waitFor,
  waitForConsumerIdle,
  type ClickHouseContents,
  type FaultPipeline,
  type TestBus,
  type TestDatabase,
  type TrafficOutcome,
} from '@audit/testing';

/** What a fault scenario ran into and how long the pipeline took to store everything again. */
export interface ScenarioResult {
  outcome: TrafficOutcome;
  /** From the fault's start, and from its repair (the kill, or the server back), until every accepted event was in Postgres and projected. */
  recoveryMs: number;
  sinceRepairMs: number;
}

/**
 * Sends known events of `organizationId` through the project's HTTP client, injects `fault` once `lead`
 * were answered, keeps sending until `lead` more were answered after its repair, then waits until every accepted event is in Postgres and
 * both consumers have acknowledged everything (written and projected). Prints the time to full recovery.
 */
export async function runFaultScenario(
  name: string,
  context: { db: TestDatabase; bus: TestBus; pipeline: FaultPipeline },
  organizationId: string,
  fault: () => Promise<void>,
  lead = 150,
): Promise<ScenarioResult> {
  const { db, bus, pipeline } = context;
  const client = faultTolerantClient(pipeline.ingestUrl, await createIngestKey(db.url, organizationId));
  const traffic = new Traffic(client, organizationId);
  await traffic.reached(lead);
  const faultAt = Date.now();
  await fault();
  const repairedAt = Date.now();
  await traffic.reached(traffic.answered + lead);
  const outcome = await traffic.finish();
  await client.close();

  await waitFor(
    `the ${outcome.accepted.length} accepted events of ${organizationId} in Postgres`,
    async () =>
      (await db.query<{ n: number }>('SELECT count(DISTINCT id)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [outcome.accepted]))[0].n ===
      outcome.accepted.length,
    120_000,
    100,
  );
  await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 120_000);
  await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 120_000);
  const doneAt = Date.now();
  const result = { outcome, recoveryMs: doneAt - faultAt, sinceRepairMs: doneAt - repairedAt };
  console.log(
    `[fault suite] ${name}: ${outcome.accepted.length} accepted, ${outcome.refused.reduce((n, r) => n + r.ids.length, 0)} refused` +
      `${outcome.refused.length ? ` (${outcome.refused[0].error})` : ''}, longest wait for a 202 ${(outcome.longestWaitMs / 1000).toFixed(1)} s; everything stored ${(result.recoveryMs / 1000).toFixed(1)} s after the fault began` +
      ` (${(result.sinceRepairMs / 1000).toFixed(1)} s after its repair)`,
  );
  return result;
}

/** Postgres holds every accepted id of the organization exactly once, and nothing that was not sent. */
export async function postgresExactlyOnce(db: TestDatabase, organizationId: string, outcome: TrafficOutcome): Promise<ReturnType<typeof exactlyOnce>> {
  return exactlyOnce(await postgresCopies(db, organizationId), outcome);
}

/**
 * The suite's closing checks, on ClickHouse read once every case has run: every accepted event of every
 * case (`outcomes`, keyed by organization; `cases` names them all) is there exactly once, and the rollups
 * equal a direct aggregate of the events. `pipeline` is called once the cases are done.
 */
export function describeClickHouseAfterAllCases(pipeline: () => FaultPipeline, outcomes: ReadonlyMap<string, TrafficOutcome>, cases: readonly string[]): void {
  describe('ClickHouse, read once every case has run', () => {
    let contents: ClickHouseContents;

    beforeAll(async () => {
      // chDB binds its directory to one process: read it once the projector has stopped.
      await pipeline().projector.stop();
      contents = await readClickHouse(pipeline().clickhousePath);
    });

    it('holds every accepted event of every case exactly once', () => {
      expect([...outcomes.keys()].sort()).toEqual([...cases].sort());
      for (const [org, outcome] of outcomes) {
        expect({ org, ...exactlyOnce(clickHouseCopies(contents, org), outcome) }).toEqual({ org, missing: [], duplicated: [], unknown: [] });
      }
    });

    it('has rollups equal to a direct aggregate of the events', () => {
      for (const org of outcomes.keys()) {
        const { organizationId, rollup, events } = rollupsOf(contents, org);
        expect(events.length).toBeGreaterThan(0);
        expect({ organizationId, rollup }).toEqual({ organizationId, rollup: events });
      }
      for (const [name, { rollup, events }] of Object.entries(contents.rollups)) expect({ name, rollup }).toEqual({ name, rollup: events });
    });
  });
}

/**
 * One organization's rollups beside the same aggregates computed from its events, so a test that expects
 * `rollup` to equal `events` names the case that broke them.
 */
function rollupsOf(contents: ClickHouseContents, organizationId: string): { organizationId: string; rollup: unknown[]; events: unknown[] } {
  const ofOrg = (rows: unknown[]): unknown[] => rows.filter((r) => (r as { organizationId?: string }).organizationId === organizationId);
  const checks = Object.values(contents.rollups);
  return { organizationId, rollup: checks.flatMap((c) => ofOrg(c.rollup)), events: checks.flatMap((c) => ofOrg(c.events)) };
}
