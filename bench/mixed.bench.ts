/**
 * npm run bench:mixed — an administrator's reads while the platform ingests, beside the same reads on
 * the idle platform, in one run on this machine:
 *
 *  1. starts the standalone app (every service in one process, as `npm start`) on a fresh database and
 *     bus, seeds BENCH_SEED_EVENTS (10,000) events, and measures its sustained maximum: BENCH_MAX_EVENTS
 *     (40,000) events posted as fast as 4 clients can, timed until every one is in Postgres and in
 *     ClickHouse;
 *  2. three phases of BENCH_PHASE_MS (60 s) each, the idle one as long as the loaded ones: idle and HTTP
 *     ingest paced at 50% of that maximum alternated in BENCH_SLICES (3) slices each, so that both are read
 *     on the same data and the same machine (see schedule()), then 100% (batches of 100 sent on schedule),
 *     each slice's events settled before the next starts; meanwhile a client
 *     in its own process reads every 200 ms an events page, the analytics summary and GET /healthz of the
 *     organization being written (~300 samples of each read per phase: a p95 is the 15th worst, not the
 *     5th worst of 20 s, which one scheduler hiccup of a 2-core machine decided);
 *  3. the same with the services as separate processes (ingest, writer, projector, query apps; the load
 *     posted to ingest, the reads sent to query), on the same database and bus; embedded ClickHouse lives
 *     in the projector's process there, so the analytics summary is not read (BENCH_SPLIT=0 skips this);
 *  4. prints p50/p95/p99 of each read in each phase beside the idle figures, the event-loop delay p99 of
 *     the process answering the reads in each phase (`audit_process_nodejs_eventloop_lag_p99_seconds`,
 *     which resets at each scrape: scraped when a phase starts and when it ends), the targets, and the
 *     machine's load; writes bench/results/mixed.json.
 *
 * BENCH_PROFILE_DIR=<dir> has the standalone write a CPU profile (`--cpu-prof`) there when it stops, and its
 * output (standalone.log: what --trace-gc prints, for one). BENCH_NODE_ARGS="<flags>" adds Node flags to the
 * standalone's (e.g. `--trace-gc`, or a heap setting to compare against the default in the same run).
 * BENCH_RATE=<events/s> paces the 50% and 100% phases at shares of that rate instead of the maximum just
 * measured (still measured and printed): two commits compared at the same load on a machine whose maximum
 * moves with what else runs on it.
 *
 * The read client runs on the same cores as the services and the load generator, where an administrator's
 * browser would not, and a sample ends only when the client's thread runs to read the answer: its main
 * thread takes the niceness the services give their HTTP threads (READS_THREAD_NICENESS, -10), so that
 * waiting for a core behind the load generator is not counted as the service's time. Each phase prints the
 * niceness it ran at, how long it waited for a core and its event-loop delay p99. BENCH_SAMPLER_RAISED=0
 * leaves it at the bench's priority (the comparison). Every sample is kept. Where the kernel groups processes
 * by session (sched_autogroup, printed), niceness orders this run's processes among themselves only: work of
 * another session (another bench, a build) takes its share of the cores whatever its own niceness, and
 * the client's waits for a core then measure that machine, not the platform.
 *
 * Targets (issue 18): at 50% every read's p95 ≤ 2 × idle and ≤ 100 ms; at 100% /healthz p99 ≤ 50 ms and
 * events pages p95 ≤ 250 ms.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { readAuthConfig, TokensService } from '@audit/auth';
import { READS_THREAD_NICENESS } from '@audit/platform';
import { demoEvents } from '@audit/cli';
import { createTestDatabase, runCliProcess, startService, startTestNats, waitFor } from '@audit/testing';
import { followCpuByPriority, percentile, waitForQuietMachine, watchMachineLoad } from './cpu';
import { progress } from './progress';
import { sampleReadsEvery, type ReadSamples, type SamplerClient } from './read-sampler';
import { BenchResults } from './results';

const SEED_EVENTS = Number(process.env.BENCH_SEED_EVENTS ?? 10_000);
const MAX_EVENTS = Number(process.env.BENCH_MAX_EVENTS ?? 40_000);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 60_000);
/** Slices the idle and 50 % phases alternate in (see schedule()). */
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 3));
/** The read client's main thread at the services' HTTP-thread niceness (see the header); BENCH_SAMPLER_RAISED=0 leaves it at the bench's. */
const SAMPLER_RAISED = process.env.BENCH_SAMPLER_RAISED !== '0';
const FIXED_RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined;
const READ_INTERVAL_MS = 200;
const BATCH = 100;
const MAX_CONCURRENCY = 4;
/** Paced sending never keeps more than this many POSTs open: past it the load generator itself is behind, and says so. */
const MAX_IN_FLIGHT = 32;
const SECRET = 'bench-mixed-secret-bench-mixed-secret-0123';
const ORG = 'bench-mixed';

interface Phase {
  name: string;
  /** Events per second asked of the load generator (0: idle). */
  targetRate: number;
  /** Events per second the platform accepted (202) during the phase. */
  acceptedRate: number;
  /** Events accepted, and the seconds the load generator sent them over. */
  accepted: number;
  sentSeconds: number;
  /** Seconds the phase took, its reads, settling and measurements included. */
  elapsed: number;
  reads: ReadSamples[];
  /** The read client's own process over the phase: its niceness, its waits for a core, its event-loop delay. */
  client: SamplerClient;
  /** POSTs answered 503 (a JetStream ack later than NATS_PUBLISH_TIMEOUT) or 429, then sent again, by status. */
  refused: Record<number, number>;
  /** The standalone's event-loop delay p99 over the phase, milliseconds. */
  eventLoopP99Ms: number;
  /**
   * CPU seconds the main (JavaScript) thread of the process answering the reads spent per second of the
   * phase: its share of one core. Unlike the latencies, it hardly depends on what else the machine runs, so
   * it shows what the thread that answers HTTP is left doing even when other work slows the timings.
   */
  mainThreadBusy: number;
  /**
   * The same for the process's other threads at the main thread's priority (V8's GC and compiler workers,
   * libuv's pool, embedded ClickHouse's pools), and for those at a lower one (the consumers thread): the
   * first compete with the main thread on a par, the second give way to it.
   */
  samePriorityBusy: number;
  loweredBusy: number;
  /**
   * Embedded chDB's parameterised statements over the phase (audit_clickhouse_embedded_statement_*): how
   * many the HTTP thread's reads ran and their mean wait for the process-wide turn, and how many the
   * consumers thread's ran (the projector's checks) and their mean time holding it. Undefined where the
   * process answering the reads has no embedded ClickHouse.
   */
  statementTurns?: { reads: number; readsMeanWaitMs: number; consumers: number; consumersMeanHeldMs: number };
}

/** Where the load goes and the reads come from: the standalone process, or the services as separate processes. */
interface Deployment {
  name: string;
  ingestUrl: string;
  readUrl: string;
  /** The pid of the process answering the reads: its main thread's CPU is read from /proc. */
  readPid: number;
  /** The process whose audit_consumer_messages_total{consumer="projector"} says the events reached ClickHouse. */
  projectorUrl: string;
  reads: Array<{ name: string; path: string }>;
}

interface Run {
  deployment: string;
  maxRate: number;
  phases: Phase[];
}

async function main(): Promise<void> {
  const results = new BenchResults('mixed');
  const machine = watchMachineLoad();
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench_mixed');
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'error' };
  const runs: Run[] = [];
  const pg = new Client({ connectionString: db.url });
  try {
    await pg.connect();
    const key = (JSON.parse((await runCliProcess(['keys', 'create', '--org', ORG, '--json'], { DATABASE_URL: db.url, NATS_URL: nats.url })).stdout) as { key: string }).key;
    const token = await new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET })).sign({ organizationId: ORG, role: 'admin', userId: 'bench-admin' }, 3600);
    const counts = { stored: 0, projected: 0 };

    // BENCH_PROFILE_DIR=<dir>: the standalone writes a CPU profile there when it stops (node --cpu-prof).
    const profileDir = process.env.BENCH_PROFILE_DIR;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter((flag) => flag !== '');
    const standalone = await startService('standalone', env, 120_000, undefined, [...profile, ...nodeArgs]);
    try {
      const url = standalone.url;
      runs.push(await measure({ name: 'standalone', ingestUrl: url, readUrl: url, readPid: pidOf(standalone.process.pid), projectorUrl: url, reads: readsOf(true) }, key, token, pg, counts));
    } finally {
      await standalone.stop();
      if (profileDir) writeFileSync(path.join(profileDir, 'standalone.log'), standalone.output());
    }

    if (process.env.BENCH_SPLIT !== '0') {
      // The same services as separate processes, as Kubernetes runs them. Embedded ClickHouse binds its data
      // to one process (the projector's here): the query app answers events pages from Postgres, and the
      // analytics summary, which needs a ClickHouse server in this layout, is not read.
      const services = await Promise.all(['ingest', 'writer', 'projector', 'query'].map((app) => startService(app, env, 120_000)));
      const [ingest, , projector, query] = services;
      counts.projected = 0; // a new projector process: its counter starts again, on a fresh ClickHouse
      try {
        runs.push(await measure({ name: 'split services', ingestUrl: ingest.url, readUrl: query.url, readPid: pidOf(query.process.pid), projectorUrl: projector.url, reads: readsOf(false) }, key, token, pg, counts));
      } finally {
        await Promise.all(services.map((s) => s.stop()));
      }
    }
  } finally {
    await pg.end();
    await db.drop();
    await nats.destroy();
  }
  report(results, runs, machine.stop().note);
}

/** The sustained maximum of a deployment, then its reads idle, at 50% and at 100% of it. */
async function measure(target: Deployment, key: string, token: string, pg: Client, counts: { stored: number; projected: number }): Promise<Run> {
  const bodies = batchBodies();
  const drained = (label: string) => waitUntilStored(target.projectorUrl, pg, counts, label);
  const send = async (events: number): Promise<void> => {
    const sent = await sendAsFastAsPossible(target.ingestUrl, key, bodies, events);
    counts.stored += sent;
    counts.projected += sent;
  };
  progress(`${target.name}: seeding ${SEED_EVENTS} events`);
  await send(SEED_EVENTS);
  await drained('the seed');

  progress(`${target.name}: measuring the sustained maximum: ${MAX_EVENTS} events, ${MAX_CONCURRENCY} clients`);
  const started = performance.now();
  await send(MAX_EVENTS);
  await drained('the maximum run');
  const maxRate = MAX_EVENTS / ((performance.now() - started) / 1000);
  progress(`${target.name}: sustained maximum ${maxRate.toFixed(0)} events/s accepted → in Postgres and ClickHouse`);

  const slices: Phase[] = [];
  for (const { name, share, ms } of schedule()) {
    const settled = await waitForQuietMachine(0.3, 3, 20);
    progress(`${target.name}: phase "${name}" (machine ${settled.quiet ? 'quiet' : 'still busy'} after ${settled.waited.toFixed(0)} s)`);
    await eventLoopP99Ms(target.readUrl); // resets the gauge: the next scrape covers this phase only
    const turnsBefore = await statementTurns(target.readUrl);
    const cpu = followCpuByPriority(target.readPid);
    const cpuBefore = cpu.snapshot();
    const phaseStarted = performance.now();
    const rate = share * (FIXED_RATE ?? maxRate);
    const stop = { now: false };
    const load = rate > 0 ? sendPaced(target.ingestUrl, key, bodies, rate, stop) : Promise.resolve({ accepted: 0, seconds: 1, refused: {} });
    // The load stops on time even when reads answer late: the reader waits for its last answers.
    const stopTimer = setTimeout(() => (stop.now = true), ms);
    const { reads, client } = await sampleReadsEvery({ base: target.readUrl, headers: { authorization: `Bearer ${token}` }, intervalMs: READ_INTERVAL_MS, durationMs: ms, reads: target.reads, raised: SAMPLER_RAISED });
    clearTimeout(stopTimer);
    stop.now = true;
    const sent = await load;
    const eventLoop = await eventLoopP99Ms(target.readUrl);
    const turnsAfter = await statementTurns(target.readUrl);
    const cpuAfter = cpu.snapshot();
    cpu.stop();
    const elapsed = (performance.now() - phaseStarted) / 1000;
    const mainThreadBusy = (cpuAfter.main - cpuBefore.main) / elapsed;
    const samePriorityBusy = (cpuAfter.samePriority - cpuBefore.samePriority) / elapsed;
    const loweredBusy = (cpuAfter.lowered - cpuBefore.lowered) / elapsed;
    counts.stored += sent.accepted;
    counts.projected += sent.accepted;
    const turns = turnsBefore && turnsAfter ? turnsBetween(turnsBefore, turnsAfter) : undefined;
    slices.push({ name, targetRate: rate, acceptedRate: sent.accepted / sent.seconds, accepted: sent.accepted, sentSeconds: sent.seconds, elapsed, refused: sent.refused, reads, client, eventLoopP99Ms: eventLoop, mainThreadBusy, samePriorityBusy, loweredBusy, statementTurns: turns });
    for (const r of reads) if (r.failures.length > 0) throw new Error(`${target.name}: ${r.name} failed during "${name}": ${r.failures.join('; ')}`);
    if (rate > 0) await drained(`the "${name}" phase`);
  }
  return { deployment: target.name, maxRate, phases: joinSlices(slices) };
}

/**
 * The phases in the order they run: idle and 50 % alternate in BENCH_SLICES slices each (PHASE_MS in all, per
 * phase), then 100 % for PHASE_MS. Alternating puts both on the same data and the same machine: a loaded phase
 * adds thousands of events a second, and the summary's distinct counts cost more with each (an idle phase read
 * once before the load would be read on less data than the loaded one it is compared with), and whatever else the
 * machine runs changes over minutes.
 */
function schedule(): Array<{ name: string; share: number; ms: number }> {
  const slice = PHASE_MS / SLICES;
  const alternated = Array.from({ length: SLICES }, () => [
    { name: 'idle', share: 0, ms: slice },
    { name: '50% of the maximum', share: 0.5, ms: slice },
  ]).flat();
  return [...alternated, { name: '100% of the maximum', share: 1, ms: PHASE_MS }];
}

/** Each phase's slices as one phase: every sample kept, rates and CPU shares weighted by time, delays at their worst slice's. */
function joinSlices(slices: Phase[]): Phase[] {
  const byName = new Map<string, Phase[]>();
  for (const s of slices) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return [...byName.values()].map((parts) => {
    const sum = (f: (p: Phase) => number) => parts.reduce((n, p) => n + f(p), 0);
    const elapsed = sum((p) => p.elapsed);
    const byTime = (f: (p: Phase) => number) => sum((p) => f(p) * p.elapsed) / elapsed;
    const accepted = sum((p) => p.accepted);
    const sentSeconds = sum((p) => p.sentSeconds);
    const reads = parts[0].reads.map((r) => ({
      name: r.name,
      samples: parts.flatMap((p) => p.reads.find((x) => x.name === r.name)?.samples ?? []),
      failures: parts.flatMap((p) => p.reads.find((x) => x.name === r.name)?.failures ?? []),
    }));
    const refused: Record<number, number> = {};
    for (const p of parts) for (const [status, n] of Object.entries(p.refused)) refused[Number(status)] = (refused[Number(status)] ?? 0) + n;
    const turns = parts.every((p) => p.statementTurns) ? parts.map((p) => p.statementTurns as NonNullable<Phase['statementTurns']>) : undefined;
    const weighted = (n: (t: NonNullable<Phase['statementTurns']>) => number, mean: (t: NonNullable<Phase['statementTurns']>) => number) => {
      const total = turns?.reduce((a, t) => a + n(t), 0) ?? 0;
      return total === 0 ? 0 : (turns?.reduce((a, t) => a + n(t) * mean(t), 0) ?? 0) / total;
    };
    return {
      name: parts[0].name,
      targetRate: parts[0].targetRate,
      acceptedRate: accepted / sentSeconds,
      accepted,
      sentSeconds,
      elapsed,
      refused,
      reads,
      client: {
        niceness: parts[0].client.niceness,
        notRaised: parts[0].client.notRaised,
        waitedForCoreMs: sum((p) => p.client.waitedForCoreMs),
        eventLoopP99Ms: Math.max(...parts.map((p) => p.client.eventLoopP99Ms)),
        eventLoopMaxMs: Math.max(...parts.map((p) => p.client.eventLoopMaxMs)),
      },
      eventLoopP99Ms: Math.max(...parts.map((p) => p.eventLoopP99Ms)),
      mainThreadBusy: byTime((p) => p.mainThreadBusy),
      samePriorityBusy: byTime((p) => p.samePriorityBusy),
      loweredBusy: byTime((p) => p.loweredBusy),
      statementTurns: turns && {
        reads: turns.reduce((a, t) => a + t.reads, 0),
        readsMeanWaitMs: weighted((t) => t.reads, (t) => t.readsMeanWaitMs),
        consumers: turns.reduce((a, t) => a + t.consumers, 0),
        consumersMeanHeldMs: weighted((t) => t.consumers, (t) => t.consumersMeanHeldMs),
      },
    };
  });
}

function readsOf(analytics: boolean): Array<{ name: string; path: string }> {
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  return [
    { name: 'events page', path: '/v1/events?limit=50' },
    ...(analytics ? [{ name: 'analytics summary', path: `/v1/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` }] : []),
    { name: '/healthz', path: '/healthz' },
  ];
}

/** 100 different batches of BATCH demo events without ids (ingest gives each accepted event a new one), cycled. */
function batchBodies(): string[] {
  const events = demoEvents(ORG, 100 * BATCH, { now: new Date(), spanMs: 600_000, seed: 18 });
  return Array.from({ length: 100 }, (_, i) => JSON.stringify(events.slice(i * BATCH, (i + 1) * BATCH)));
}

/** POSTs a batch; a 503 (bus ack late) or 429 is retried with the same body after its Retry-After, as the client library does, and counted. */
async function post(url: string, key: string, body: string, refused?: Map<number, number>): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (res.status === 202) return;
    if (res.status !== 503 && res.status !== 429) throw new Error(`POST /v1/events answered ${res.status}: ${text}`);
    refused?.set(res.status, (refused.get(res.status) ?? 0) + 1);
    await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? 1) * 1000));
  }
}

async function sendAsFastAsPossible(url: string, key: string, bodies: string[], events: number): Promise<number> {
  let next = 0;
  const batches = Math.ceil(events / BATCH);
  await Promise.all(
    Array.from({ length: MAX_CONCURRENCY }, async () => {
      while (next < batches) await post(url, key, bodies[next++ % bodies.length]);
    }),
  );
  return batches * BATCH;
}

/** Sends a batch every BATCH / rate seconds on schedule until told to stop; returns what was accepted and over how long. */
async function sendPaced(url: string, key: string, bodies: string[], rate: number, stop: { now: boolean }): Promise<{ accepted: number; seconds: number; refused: Record<number, number> }> {
  const intervalMs = (BATCH / rate) * 1000;
  const started = performance.now();
  const open = new Set<Promise<void>>();
  const refused = new Map<number, number>();
  let failure: unknown;
  let accepted = 0;
  let skipped = 0;
  for (let i = 0; !stop.now && failure === undefined; i++) {
    if (open.size >= MAX_IN_FLIGHT) skipped++;
    else {
      const p = post(url, key, bodies[i % bodies.length], refused).then(
        () => void (accepted += BATCH),
        (error: unknown) => void (failure = error),
      );
      open.add(p);
      void p.finally(() => open.delete(p));
    }
    const next = started + (i + 1) * intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
  }
  await Promise.all(open);
  if (failure !== undefined) throw failure;
  for (const [status, n] of refused) progress(`${n} POSTs answered ${status} and were sent again`);
  if (skipped > 0) progress(`the load generator skipped ${skipped} batches: ${MAX_IN_FLIGHT} POSTs were open (the platform accepted slower than asked)`);
  return { accepted, seconds: (performance.now() - started) / 1000, refused: Object.fromEntries(refused) };
}

/**
 * Waits until every event sent is in Postgres (counted there) and in ClickHouse (the projector process has
 * acked as many messages: it acks only after its insert).
 */
async function waitUntilStored(projectorUrl: string, pg: Client, counts: { stored: number; projected: number }, label: string): Promise<void> {
  await waitFor(
    `${counts.stored} events of ${label} in Postgres and ClickHouse`,
    async () => {
      const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1', [ORG]);
      if (rows[0].n < counts.stored) return false;
      const text = await (await fetch(`${projectorUrl}/metrics`)).text();
      const acked = /^audit_consumer_messages_total\{[^}]*consumer="projector"[^}]*outcome="acked"[^}]*\} (\S+)$/m.exec(text) ?? /^audit_consumer_messages_total\{[^}]*outcome="acked"[^}]*consumer="projector"[^}]*\} (\S+)$/m.exec(text);
      return Number(acked?.[1] ?? 0) >= counts.projected;
    },
    600_000,
    50,
  );
}

function pidOf(pid: number | undefined): number {
  if (pid === undefined) throw new Error('the service has no pid: it did not start');
  return pid;
}

type Turns = Record<'mainWait' | 'workerHeld', { sum: number; count: number }>;

/** The sums and counts of the embedded statement turn's histograms (the reads' wait, the consumers' holding); undefined without embedded ClickHouse. */
async function statementTurns(url: string): Promise<Turns | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (metric: string, thread: string): number | undefined => {
    const match = new RegExp(`^${metric}\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  if (!text.includes('audit_clickhouse_embedded_statement_wait_seconds')) return undefined;
  return {
    mainWait: { sum: value('audit_clickhouse_embedded_statement_wait_seconds_sum', 'main') ?? 0, count: value('audit_clickhouse_embedded_statement_wait_seconds_count', 'main') ?? 0 },
    workerHeld: { sum: value('audit_clickhouse_embedded_statement_held_seconds_sum', 'worker') ?? 0, count: value('audit_clickhouse_embedded_statement_held_seconds_count', 'worker') ?? 0 },
  };
}

function turnsBetween(before: Turns, after: Turns): NonNullable<Phase['statementTurns']> {
  const reads = after.mainWait.count - before.mainWait.count;
  const consumers = after.workerHeld.count - before.workerHeld.count;
  return {
    reads,
    readsMeanWaitMs: reads > 0 ? ((after.mainWait.sum - before.mainWait.sum) / reads) * 1000 : 0,
    consumers,
    consumersMeanHeldMs: consumers > 0 ? ((after.workerHeld.sum - before.workerHeld.sum) / consumers) * 1000 : 0,
  };
}

async function eventLoopP99Ms(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^audit_process_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  if (!match) throw new Error('the standalone serves no audit_process_nodejs_eventloop_lag_p99_seconds');
  return Number(match[1]) * 1000;
}

function report(results: BenchResults, runs: Run[], loadNote: string): void {
  const line = (label: string, value: string): void => console.log(`${label.padEnd(64)} ${value}`);
  const stats = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), n: sorted.length };
  };
  console.log(`\nmixed benchmark: reads every ${READ_INTERVAL_MS} ms for ${PHASE_MS / 1000} s per phase, every part on this machine`);
  console.log(`read client: its own process, main thread ${SAMPLER_RAISED ? `raised to niceness ${READS_THREAD_NICENESS} as the services' HTTP threads` : "at the bench's niceness (BENCH_SAMPLER_RAISED=0)"}; every sample kept`);
  const sessions = autogroupNote();
  if (sessions) console.log(sessions);
  const verdicts: string[] = [];
  for (const run of runs) {
    const d = run.deployment;
    const idle = run.phases.find((p) => p.targetRate === 0);
    console.log(`\n== ${d}`);
    line('sustained maximum (HTTP batches of 100 → Postgres and ClickHouse)', `${run.maxRate.toFixed(0)} events/s`);
    results.figure(`${d}: sustained maximum ingest`, Math.round(run.maxRate), 'events/s');
    for (const phase of run.phases) {
      console.log(`\n${phase.name}${phase.targetRate > 0 ? `: ${phase.targetRate.toFixed(0)} events/s asked, ${phase.acceptedRate.toFixed(0)} accepted` : ''}`);
      if (phase.targetRate > 0) results.figure(`${d}, ${phase.name}: ingest accepted`, Math.round(phase.acceptedRate), 'events/s');
      for (const [status, n] of Object.entries(phase.refused)) {
        line(`  POSTs answered ${status} and sent again`, String(n));
        results.figure(`${d}, ${phase.name}: POSTs answered ${status}`, n, 'requests');
      }
      for (const read of phase.reads) {
        const s = stats(read.samples);
        const base = idle && phase !== idle ? stats(idle.reads.find((r) => r.name === read.name)?.samples ?? []) : undefined;
        line(
          `  ${read.name}: p50 / p95 / p99 (ms, ${s.n} reads)`,
          `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)}${base ? `   idle ${base.p50.toFixed(1)} / ${base.p95.toFixed(1)} / ${base.p99.toFixed(1)}` : ''}`,
        );
        for (const p of ['p50', 'p95', 'p99'] as const) {
          results.figure(`${d}, ${phase.name}: ${read.name} ${p}`, round(s[p]), 'ms', base ? { name: `idle ${read.name} ${p}`, value: round(base[p]), unit: 'ms' } : undefined);
        }
        if (base && phase.targetRate > 0) verdicts.push(...targetsOf(d, phase, read.name, s, base));
      }
      const c = phase.client;
      line(
        `  read client: niceness, waited for a core (ms), event-loop p99 / max (ms)`,
        `${c.niceness}${c.notRaised ? ` (not raised: ${c.notRaised})` : ''}, ${c.waitedForCoreMs.toFixed(0)}, ${c.eventLoopP99Ms.toFixed(1)} / ${c.eventLoopMaxMs.toFixed(1)}`,
      );
      results.figure(`${d}, ${phase.name}: read client's waits for a core`, Math.round(c.waitedForCoreMs), 'ms');
      results.figure(`${d}, ${phase.name}: read client's event-loop delay p99`, round(c.eventLoopP99Ms), 'ms');
      line(`  event-loop delay p99 of the process answering the reads (ms)`, phase.eventLoopP99Ms.toFixed(1));
      results.figure(`${d}, ${phase.name}: event-loop delay p99 (reads' process)`, round(phase.eventLoopP99Ms), 'ms');
      line(`  CPU of its main thread (share of one core)`, `${(100 * phase.mainThreadBusy).toFixed(0)} %`);
      results.figure(`${d}, ${phase.name}: main thread CPU (reads' process)`, Math.round(100 * phase.mainThreadBusy), '% of a core');
      line(`  CPU of its other threads at the main thread's priority / lower`, `${(100 * phase.samePriorityBusy).toFixed(0)} % / ${(100 * phase.loweredBusy).toFixed(0)} %`);
      results.figure(`${d}, ${phase.name}: CPU of other threads at the main thread's priority (reads' process)`, Math.round(100 * phase.samePriorityBusy), '% of a core');
      results.figure(`${d}, ${phase.name}: CPU of threads at a lower priority (reads' process)`, Math.round(100 * phase.loweredBusy), '% of a core');
      if (phase.statementTurns) {
        const t = phase.statementTurns;
        line(`  embedded ClickHouse: reads' mean wait for the statement turn (ms, statements)`, `${t.readsMeanWaitMs.toFixed(1)} (${t.reads})`);
        line(`  embedded ClickHouse: consumers' statements holding it, mean (ms, statements)`, `${t.consumersMeanHeldMs.toFixed(1)} (${t.consumers})`);
        results.figure(`${d}, ${phase.name}: reads' mean wait for embedded ClickHouse's statement turn`, round(t.readsMeanWaitMs), 'ms');
        results.figure(`${d}, ${phase.name}: consumers' mean time holding embedded ClickHouse's statement turn`, round(t.consumersMeanHeldMs), 'ms');
      }
      if (phase.acceptedRate > 0) {
        // Per event accepted, the reads' own share included: what each accepted event costs the thread that answers reads.
        const perEvent = (phase.mainThreadBusy / phase.acceptedRate) * 1e6;
        line(`  CPU of its main thread per event accepted (µs)`, perEvent.toFixed(0));
        results.figure(`${d}, ${phase.name}: main thread CPU per event accepted (reads' process)`, Math.round(perEvent), 'µs');
      }
    }
  }
  console.log('\ntargets');
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`\n${loadNote}`);
  results.note(
    `${SEED_EVENTS} seeded events, maximum measured over ${MAX_EVENTS} events, phases of ${PHASE_MS / 1000} s, reads every ${READ_INTERVAL_MS} ms of the organization being written ` +
      `by a client whose main thread ran ${SAMPLER_RAISED ? `at niceness ${READS_THREAD_NICENESS}, as the services' HTTP threads` : "at the bench's niceness"}; ` +
      'split services: ingest, writer, projector and query apps, the analytics summary not read (embedded ClickHouse lives in the projector process)',
  );
  for (const v of verdicts) results.note(v);
  if (sessions) results.note(sessions);
  results.note(loadNote);
  results.write();
}

function targetsOf(deployment: string, phase: Phase, read: string, s: { p95: number; p99: number }, idle: { p95: number }): string[] {
  const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');
  if (phase.name.startsWith('50%')) {
    return [`${deployment}, ${phase.name}, ${read}: p95 ${s.p95.toFixed(1)} ms ≤ 2 × idle (${(2 * idle.p95).toFixed(1)}) and ≤ 100 ms: ${ok(s.p95 <= 2 * idle.p95 && s.p95 <= 100)}`];
  }
  if (read === '/healthz') return [`${deployment}, ${phase.name}, ${read}: p99 ${s.p99.toFixed(1)} ms ≤ 50 ms: ${ok(s.p99 <= 50)}`];
  if (read === 'events page') return [`${deployment}, ${phase.name}, ${read}: p95 ${s.p95.toFixed(1)} ms ≤ 250 ms: ${ok(s.p95 <= 250)}`];
  return [];
}

const round = (v: number): number => Math.round(v * 10) / 10;

/** What the kernel's grouping of processes by session does to niceness here (Linux sched_autogroup); undefined where it is off or unknown. */
function autogroupNote(): string | undefined {
  try {
    if (readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() !== '1') return undefined;
  } catch {
    return undefined;
  }
  return "sched_autogroup is on: niceness orders this run's processes among themselves only; other sessions' work shares the cores with this run whatever its niceness";
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
