// The measurements of embedded-niceness.int.spec.ts, taken in a process of their own: `node scripts/run.js
// libs/clickhouse/src/embedded-niceness.fixture.ts <case> <niceness>` runs one case on a fresh chDB, its lowered
// connections at <niceness>, and prints its measurements as one JSON line. Per-thread CPU by niceness counts every thread of the process: in jest's one
// process of `npm test` (--runInBand) the threads of earlier chDB-heavy files (merges, pools grown by their
// statements) ran inside the measurements and outweighed the statement measured (an inline insert's 0.297 s at
// 0 against a bound of 0.284, in both CI runs of 8246b1e's parent); here the only chDB work is the case's own.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { nicenessOfStat, READS_THREAD_NICENESS, setMainThreadNiceness } from '@audit/platform';
import { openClickHouse, openReadClient } from './clickhouse.client';
import { readClickHouseConfig } from './config';

/** CLICKHOUSE_PATH and CLICKHOUSE_DATABASE of this process's chDB. */
type ChEnv = { CLICKHOUSE_PATH: string; CLICKHOUSE_DATABASE: string };

/** CPU seconds by niceness (JSON keys are strings; `m[7]` reads them). */
export type CpuByNiceness = Record<number, number>;

/** What the "lowered" case measured: a lowered connection's statement, then a plain one's, and the threads left lowered after both. */
export interface LoweredMeasurements {
  statementNiceness: { lowered: number; plain: number };
  whileLowered: CpuByNiceness;
  whilePlain: CpuByNiceness;
  /** Names of the threads still at the lowered niceness up to 2 s after the statements. */
  leftLowered: string[];
}

/** What the "reads" case measured: a wide statement on the reads' connection, then on a plain one, and the threads left raised between them. */
export interface ReadsMeasurements {
  statementNiceness: { reads: number; plain: number };
  whileReading: CpuByNiceness;
  /** The reads' connection's os_thread_priority, seen by a parameterised statement (which runs on its turn session). */
  parameterisedPriority: number;
  /** Names of the threads still at the reads' niceness up to 2 s after the reads' statement. */
  leftRaised: string[];
  whilePlain: CpuByNiceness;
}

/** What the "insert" case measured: three inserts of the same rows through a file and three inline, alternated. */
export interface InsertMeasurements {
  throughFile: CpuByNiceness[];
  inline: CpuByNiceness[];
  rows: number;
  sessionPriority: number;
}

/** A statement that keeps chDB's pools busy for a second or so: hashing rows on max_threads threads. */
const HEAVY = 'SELECT sum(cityHash64(toString(number))) AS s FROM numbers_mt(60000000) SETTINGS max_threads = 2';

/** CPU seconds each niceness got from this process's threads other than the main one while `work` ran, sampled every turn of the loop. */
async function cpuByNiceness(work: () => Promise<unknown>): Promise<CpuByNiceness> {
  const last = new Map<string, number>();
  const by: CpuByNiceness = {};
  // A thread started during `work` (the pool grows for a wide statement) ran all its CPU within it.
  let started = false;
  const sample = (): void => {
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === String(process.pid)) continue;
      try {
        const nice = nicenessOfStat(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'));
        const seconds = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
        const delta = seconds - (last.get(tid) ?? (started ? 0 : seconds));
        last.set(tid, seconds);
        if (delta > 0) by[nice] = (by[nice] ?? 0) + delta;
      } catch {
        // The thread ended meanwhile.
      }
    }
  };
  sample();
  started = true;
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

/** The names of this process's threads, other than the main one, at `niceness`. */
function threadsAt(niceness: number): string[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    if (tid === String(process.pid)) return [];
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return nicenessOfStat(stat) === niceness ? [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))] : [];
    } catch {
      return [];
    }
  });
}

/** Waits up to 2 s for no thread to be left at `niceness` (a pool thread finishing its part of a statement resets itself a moment after the answer arrives), then names those that are. */
async function leftAt(niceness: number): Promise<string[]> {
  const deadline = Date.now() + 2_000;
  while (threadsAt(niceness).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return threadsAt(niceness);
}

async function lowered(ch: ChEnv, niceness: number): Promise<LoweredMeasurements> {
  const lowered = await openClickHouse(readClickHouseConfig({ ...ch, CLICKHOUSE_EMBEDDED_NICENESS: String(niceness) }));
  const plain = await openClickHouse(readClickHouseConfig(ch));
  try {
    const run = (client: typeof plain.client) => client.query({ query: HEAVY, format: 'JSONEachRow' }).then((r) => r.json());
    const whileLowered = await cpuByNiceness(() => run(lowered.client));
    const whilePlain = await cpuByNiceness(() => run(plain.client));
    return { statementNiceness: { lowered: lowered.statementNiceness, plain: plain.statementNiceness }, whileLowered, whilePlain, leftLowered: await leftAt(niceness) };
  } finally {
    await lowered.client.close();
    await plain.client.close();
  }
}

async function reads(ch: ChEnv): Promise<ReadsMeasurements> {
  const config = readClickHouseConfig(ch);
  const plain = await openClickHouse(config);
  const reads = await openReadClient(config, plain);
  try {
    // More threads than the earlier statements used: the global pool starts new ones from threads running
    // this statement raised, which inherit the raised niceness and which ClickHouse does not set back itself.
    const wide = HEAVY.replace('max_threads = 2', 'max_threads = 12');
    const run = (client: typeof plain.client) => client.query({ query: wide, format: 'JSONEachRow' }).then((r) => r.json());
    const whileReading = await cpuByNiceness(() => run(reads.client));
    const priority = await reads.client.query({ query: "SELECT getSetting('os_thread_priority') AS n, {x:UInt8} AS x", query_params: { x: 1 }, format: 'JSONEachRow' });
    const parameterisedPriority = (await priority.json<{ n: number }>())[0].n;
    const leftRaised = await leftAt(READS_THREAD_NICENESS);
    const whilePlain = await cpuByNiceness(() => run(plain.client));
    return { statementNiceness: { reads: reads.statementNiceness, plain: plain.statementNiceness }, whileReading, parameterisedPriority, leftRaised, whilePlain };
  } finally {
    await reads.client.close();
    await plain.client.close();
  }
}

async function insert(ch: ChEnv, niceness: number): Promise<InsertMeasurements> {
  const lowered = await openClickHouse(readClickHouseConfig({ ...ch, CLICKHOUSE_EMBEDDED_NICENESS: String(niceness) }));
  try {
    await lowered.client.command({ query: 'CREATE TABLE IF NOT EXISTS niceness_rows (id UInt64, text String) ENGINE = MergeTree ORDER BY id' });
    // Encoded beforehand, as the projector's rows are: the main thread's garbage would busy V8's helper threads (at 0) otherwise.
    const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i}\trow ${i} ${'x'.repeat(200)}\n`).join(''));
    // Three of each: one statement's share is a few samples, and this process's other threads (V8's) add to 0 too.
    const throughFile: CpuByNiceness[] = [];
    const inline: CpuByNiceness[] = [];
    for (let i = 0; i < 3; i++) {
      throughFile.push(await cpuByNiceness(() => lowered.client.insert({ table: 'niceness_rows', values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' })));
      // The same rows inline after the statement, as chdb-connection sends an insert: chDB goes over them on libuv's thread before the statement starts.
      inline.push(await cpuByNiceness(() => lowered.client.command({ query: `INSERT INTO niceness_rows FORMAT TabSeparated\n${body.toString()}` })));
    }
    const one = async <T>(query: string): Promise<T> => (await (await lowered.client.query({ query, format: 'JSONEachRow' })).json<{ n: T }>())[0].n;
    return { throughFile, inline, rows: Number(await one<number | string>('SELECT count() AS n FROM niceness_rows')), sessionPriority: await one<number>("SELECT getSetting('os_thread_priority') AS n") };
  } finally {
    await lowered.client.close();
  }
}

const CASES = { lowered, insert, reads } satisfies Record<string, (ch: ChEnv, niceness: number) => Promise<unknown>>;
/** The name of a case this fixture runs. */
export type NicenessCase = keyof typeof CASES;

async function main(name: string, niceness: number): Promise<void> {
  const run = Object.hasOwn(CASES, name) ? CASES[name as NicenessCase] : undefined;
  if (!run) throw new Error(`unknown case ${JSON.stringify(name)}: one of ${Object.keys(CASES).join(', ')}`);
  if (!Number.isInteger(niceness) || niceness < -20 || niceness > 19) throw new Error(`niceness must be an integer from -20 to 19, not ${JSON.stringify(process.argv[3])}`);
  // At 0, as a service runs, whatever the test runner's niceness (`nice -n 10 npx jest`): ClickHouse sets the
  // threads it lowered back to 0, not to the process's niceness, and the connections take the process's
  // niceness as the one to restore. Set before chDB and libuv start their threads, which inherit it.
  const notSet = setMainThreadNiceness(0);
  if (notSet !== undefined) throw new Error(`cannot run this process at niceness 0: ${notSet}`);
  // A process of its own, so a data directory of its own (chDB binds one per process).
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-chdb-niceness-'));
  try {
    process.stdout.write(`${JSON.stringify(await run({ CLICKHOUSE_PATH: dir, CLICKHOUSE_DATABASE: 'niceness' }, niceness))}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv[2] ?? '', Number(process.argv[3])).then(
  // chDB's threads may keep the process alive after the last statement.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
