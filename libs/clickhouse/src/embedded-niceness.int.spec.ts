import { readdirSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { mayRaiseThreadPriority } from '@audit/platform';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { openClickHouse } from './clickhouse.client';
import { readClickHouseConfig } from './config';

/** CPU seconds each niceness got from this process's threads other than the main one while `work` ran, sampled every turn of the loop. */
async function cpuByNiceness(work: () => Promise<unknown>): Promise<Map<number, number>> {
  const last = new Map<string, number>();
  const by = new Map<number, number>();
  const sample = (): void => {
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === String(process.pid)) continue;
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
        const seconds = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
        const delta = seconds - (last.get(tid) ?? seconds);
        last.set(tid, seconds);
        if (delta > 0) by.set(nice, (by.get(nice) ?? 0) + delta);
      } catch {
        // The thread ended meanwhile.
      }
    }
  };
  sample();
  let running = true;
  const sampler = (async () => {
    while (running) {
      sample();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  sample();
  return by;
}

const total = (by: Map<number, number>): number => [...by.values()].reduce((a, b) => a + b, 0);

/** A statement that keeps chDB's pools busy for a second or so: hashing rows on max_threads threads. */
const HEAVY = 'SELECT sum(cityHash64(toString(number))) AS s FROM numbers_mt(60000000) SETTINGS max_threads = 2';

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
    const lowered = await openClickHouse(readClickHouseConfig({ ...ch.env, CLICKHOUSE_EMBEDDED_NICENESS: '7' }));
    const plain = await openClickHouse(readClickHouseConfig(ch.env));
    try {
      expect(lowered.statementNiceness).toBe(7);
      expect(plain.statementNiceness).toBe(0);
      const run = (client: typeof plain.client) => client.query({ query: HEAVY, format: 'JSONEachRow' }).then((r) => r.json());

      const whileLowered = await cpuByNiceness(() => run(lowered.client));
      // Most of the statement's CPU ran at 7 (the rest: chDB's call on libuv's thread before and after the statement).
      expect(whileLowered.get(7) ?? 0).toBeGreaterThan(0.5 * total(whileLowered));

      const whilePlain = await cpuByNiceness(() => run(plain.client));
      // A sample may end a moment after a thread switched: a few milliseconds, where the lowered run had hundreds.
      expect(whilePlain.get(7) ?? 0).toBeLessThan(0.05 * total(whilePlain));
      expect(whilePlain.get(0) ?? 0).toBeGreaterThan(0.5 * total(whilePlain));

      // The threads the lowered statement used are back at 0, ready for any connection's next one (a pool
      // thread finishing its part of the statement resets itself a moment after the answer arrives).
      const lowered7 = (): string[] =>
        readdirSync('/proc/self/task').flatMap((tid) => {
          try {
            const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) === 7 ? [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))] : [];
          } catch {
            return [];
          }
        });
      const deadline = Date.now() + 2_000;
      while (lowered7().length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lowered7()).toEqual([]);
    } finally {
      await lowered.client.close();
      await plain.client.close();
    }
  });

  it("runs an insert's rows on lowered threads: through a file, not inline at the process's priority", async () => {
    const lowered = await openClickHouse(readClickHouseConfig({ ...ch.env, CLICKHOUSE_EMBEDDED_NICENESS: '7' }));
    try {
      await lowered.client.command({ query: 'CREATE TABLE IF NOT EXISTS niceness_rows (id UInt64, text String) ENGINE = MergeTree ORDER BY id' });
      // Encoded beforehand, as the projector's rows are: the main thread's garbage would busy V8's helper threads (at 0) otherwise.
      const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i}\trow ${i} ${'x'.repeat(200)}\n`).join(''));
      // Three of each, summed: one statement's share is a few samples, and this process's other threads (jest's, V8's) add to 0 too.
      const sum = (maps: Array<Map<number, number>>, niceness: number) => maps.reduce((a, m) => a + (m.get(niceness) ?? 0), 0);
      const throughFile: Array<Map<number, number>> = [];
      const inline: Array<Map<number, number>> = [];
      for (let i = 0; i < 3; i++) {
        throughFile.push(await cpuByNiceness(() => lowered.client.insert({ table: 'niceness_rows', values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' })));
        // The same rows inline after the statement, as chdb-connection sends an insert: chDB goes over them on libuv's thread before the statement starts.
        inline.push(await cpuByNiceness(() => lowered.client.command({ query: `INSERT INTO niceness_rows FORMAT TabSeparated\n${body.toString()}` })));
      }
      expect(sum(throughFile, 7)).toBeGreaterThan(0);
      expect(sum(throughFile, 0)).toBeLessThan(0.5 * sum(inline, 0));
      expect(await (await lowered.client.query({ query: 'SELECT count() AS n FROM niceness_rows', format: 'JSONEachRow' })).json()).toEqual([{ n: 1_200_000 }]);
      expect(await (await lowered.client.query({ query: "SELECT getSetting('os_thread_priority') AS n", format: 'JSONEachRow' })).json()).toEqual([{ n: 7 }]);
    } finally {
      await lowered.client.close();
    }
  });

  it("runs a lowered connection's parameterised statements at the process's priority: they hold the turn the reads wait for", async () => {
    const lowered = await openClickHouse(readClickHouseConfig({ ...ch.env, CLICKHOUSE_EMBEDDED_NICENESS: '7' }));
    try {
      const priority = async (params?: Record<string, unknown>) =>
        (await (await lowered.client.query({ query: `SELECT getSetting('os_thread_priority') AS n${params ? ', {x:UInt8} AS x' : ''}`, query_params: params, format: 'JSONEachRow' })).json<{ n: number }>())[0].n;
      expect(await priority()).toBe(7);
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
