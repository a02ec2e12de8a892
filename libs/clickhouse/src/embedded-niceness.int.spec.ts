import { mayRaiseThreadPriority, READS_THREAD_NICENESS } from '@audit/platform';
import { runEntryProcess, testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { openClickHouse } from './clickhouse.client';
import { readClickHouseConfig } from './config';
import type { CpuByNiceness, InsertMeasurements, LoweredMeasurements, NicenessCase, ReadsMeasurements } from './embedded-niceness.fixture';

/** The niceness of the lowered connections. */
const LOWERED = 7;

/**
 * A case of embedded-niceness.fixture.ts, measured in a process of its own: CPU by niceness counts every thread
 * of the process, and in jest's (one process for every file under `npm test`) earlier files' chDB threads ran
 * inside the measurements.
 */
async function measured<T>(name: NicenessCase): Promise<T> {
  const { code, stdout, stderr } = await runEntryProcess('libs/clickhouse/src/embedded-niceness.fixture.ts', [name, String(LOWERED)], {}, 120_000);
  if (code !== 0) throw new Error(`the ${name} case exited with ${code}:\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

const total = (by: CpuByNiceness): number => Object.values(by).reduce((a, b) => a + b, 0);
const at = (by: CpuByNiceness, niceness: number): number => by[niceness] ?? 0;
const sum = (maps: CpuByNiceness[], niceness: number): number => maps.reduce((a, m) => a + at(m, niceness), 0);

// ClickHouse sets a statement's threads back to 0 when it is done, which only CAP_SYS_NICE may do: without it os_thread_priority is ignored.
const privileged = process.platform === 'linux' && mayRaiseThreadPriority() ? describe : describe.skip;

privileged("embedded ClickHouse's statement niceness", () => {
  let ch: TestClickHouse;
  beforeAll(() => {
    ch = testClickHouseEnv('audit_test_niceness');
  });
  afterAll(async () => {
    await ch.drop();
  });

  it("runs a lowered connection's statement on lowered threads, and another connection's beside it at the process's priority", async () => {
    const m = await measured<LoweredMeasurements>('lowered');
    expect(m.statementNiceness).toEqual({ lowered: LOWERED, plain: 0 });
    // Most of the statement's CPU ran lowered (the rest: chDB's call on libuv's thread before and after the statement).
    expect(at(m.whileLowered, LOWERED)).toBeGreaterThan(0.5 * total(m.whileLowered));
    // A sample may end a moment after a thread switched: a few milliseconds, where the lowered run had hundreds.
    expect(at(m.whilePlain, LOWERED)).toBeLessThan(0.05 * total(m.whilePlain));
    expect(at(m.whilePlain, 0)).toBeGreaterThan(0.5 * total(m.whilePlain));
    // The threads the lowered statement used are back at 0, ready for any connection's next one.
    expect(m.leftLowered).toEqual([]);
  });

  it("runs the reads' connection's statements at the HTTP thread's niceness, and leaves no shared pool thread raised after them", async () => {
    const m = await measured<ReadsMeasurements>('reads');
    expect(m.statementNiceness).toEqual({ reads: READS_THREAD_NICENESS, plain: 0 });
    expect(at(m.whileReading, READS_THREAD_NICENESS)).toBeGreaterThan(0.5 * total(m.whileReading));
    expect(m.parameterisedPriority).toBe(READS_THREAD_NICENESS);
    // Every thread the read raised is back at the process's priority a moment after its answer, so the
    // projector's statements that run on them next are not raised over the reads they should give way to.
    expect(m.leftRaised).toEqual([]);
    expect(at(m.whilePlain, READS_THREAD_NICENESS)).toBeLessThan(0.05 * total(m.whilePlain));
  });

  it("runs an insert's rows on lowered threads: through a file, not inline at the process's priority", async () => {
    const m = await measured<InsertMeasurements>('insert');
    expect(sum(m.throughFile, LOWERED)).toBeGreaterThan(0);
    expect(sum(m.throughFile, 0)).toBeLessThan(0.5 * sum(m.inline, 0));
    expect(m.rows).toBe(1_200_000);
    expect(m.sessionPriority).toBe(LOWERED);
  });

  it("runs a lowered connection's parameterised statements at the process's priority: they hold the turn the reads wait for", async () => {
    const lowered = await openClickHouse(readClickHouseConfig({ ...ch.env, CLICKHOUSE_EMBEDDED_NICENESS: String(LOWERED) }));
    try {
      const priority = async (params?: Record<string, unknown>) =>
        (await (await lowered.client.query({ query: `SELECT getSetting('os_thread_priority') AS n${params ? ', {x:UInt8} AS x' : ''}`, query_params: params, format: 'JSONEachRow' })).json<{ n: number }>())[0].n;
      expect(await priority()).toBe(LOWERED);
      expect(await priority({ x: 1 })).toBe(0);
      // Both sessions use the connection's database.
      await lowered.client.command({ query: 'CREATE TABLE IF NOT EXISTS turn_rows (id UInt32) ENGINE = MergeTree ORDER BY id' });
      await lowered.client.insert({ table: 'turn_rows', values: [{ id: 5 }], format: 'JSONEachRow' });
      expect(await (await lowered.client.query({ query: 'SELECT id FROM turn_rows WHERE id = {id:UInt32}', query_params: { id: 5 }, format: 'JSONEachRow' })).json()).toEqual([{ id: 5 }]);
    } finally {
      await lowered.client.close();
    }
  });
});
