/**
 * npm run bench:mixed — an administrator's reads while the platform ingests, beside the same reads on
 * the idle platform, in one run on this machine:
 *
 *  1. starts the standalone app (every service in one process, as `npm start`) on a fresh database and
 *     bus, seeds BENCH_SEED_EVENTS (10,000) events, and measures its sustained maximum: BENCH_MAX_EVENTS
 *     (40,000) events posted as fast as 4 clients can, timed until every one is in Postgres and in
 *     ClickHouse;
 *  2. three phases of BENCH_PHASE_MS (20 s): idle, then HTTP ingest paced at 50% and at 100% of that
 *     maximum (batches of 100 sent on schedule); meanwhile a client in its own process reads every 200 ms
 *     an events page, the analytics summary and GET /healthz of the organization being written;
 *  3. prints p50/p95/p99 of each read in each phase beside the idle figures, the standalone's event-loop
 *     delay p99 in each phase (`audit_process_nodejs_eventloop_lag_p99_seconds`, which resets at each
 *     scrape: scraped when a phase starts and when it ends), the targets, and the machine's load;
 *     writes bench/results/mixed.json.
 *
 * BENCH_PROFILE_DIR=<dir> has the standalone write a CPU profile (`--cpu-prof`) there when it stops.
 *
 * Targets (issue 18): at 50% every read's p95 ≤ 2 × idle and ≤ 100 ms; at 100% /healthz p99 ≤ 50 ms and
 * events pages p95 ≤ 250 ms.
 */
import { Client } from 'pg';
import { readAuthConfig, TokensService } from '@audit/auth';
import { demoEvents } from '@audit/cli';
import { createTestDatabase, runCliProcess, startService, startTestNats, waitFor, type RunningService } from '@audit/testing';
import { percentile, waitForQuietMachine, watchMachineLoad } from './cpu';
import { progress } from './progress';
import { sampleReadsEvery, type ReadSamples } from './read-sampler';
import { BenchResults } from './results';

const SEED_EVENTS = Number(process.env.BENCH_SEED_EVENTS ?? 10_000);
const MAX_EVENTS = Number(process.env.BENCH_MAX_EVENTS ?? 40_000);
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 20_000);
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
  reads: ReadSamples[];
  /** POSTs answered 503 (a JetStream ack later than NATS_PUBLISH_TIMEOUT) or 429, then sent again, by status. */
  refused: Record<number, number>;
  /** The standalone's event-loop delay p99 over the phase, milliseconds. */
  eventLoopP99Ms: number;
}

async function main(): Promise<void> {
  const results = new BenchResults('mixed');
  const machine = watchMachineLoad();
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench_mixed');
  let service: RunningService | undefined;
  const phases: Phase[] = [];
  let maxRate = 0;
  try {
    // BENCH_PROFILE_DIR=<dir>: the standalone writes a CPU profile there when it stops (node --cpu-prof).
    const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    service = await startService('standalone', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'error' }, 120_000, profile);
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url };
    const key = (JSON.parse((await runCliProcess(['keys', 'create', '--org', ORG, '--json'], env)).stdout) as { key: string }).key;
    const token = await new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET })).sign({ organizationId: ORG, role: 'admin', userId: 'bench-admin' }, 3600);
    const bodies = batchBodies();
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const stored = { total: 0 };
    const drained = (label: string) => waitUntilStored(service!.url, token, pg, stored.total, label);
    try {
      progress(`seeding ${SEED_EVENTS} events`);
      stored.total += await sendAsFastAsPossible(service.url, key, bodies, SEED_EVENTS);
      await drained('the seed');

      progress(`measuring the sustained maximum: ${MAX_EVENTS} events, ${MAX_CONCURRENCY} clients`);
      const started = performance.now();
      stored.total += await sendAsFastAsPossible(service.url, key, bodies, MAX_EVENTS);
      await drained('the maximum run');
      maxRate = MAX_EVENTS / ((performance.now() - started) / 1000);
      progress(`sustained maximum: ${maxRate.toFixed(0)} events/s accepted → in Postgres and ClickHouse`);

      for (const [name, share] of [['idle', 0], ['50% of the maximum', 0.5], ['100% of the maximum', 1]] as const) {
        const settled = await waitForQuietMachine(0.3, 3, 60);
        progress(`phase "${name}" (machine ${settled.quiet ? 'quiet' : 'still busy'} after ${settled.waited.toFixed(0)} s)`);
        await eventLoopP99Ms(service.url); // resets the gauge: the next scrape covers this phase only
        const rate = share * maxRate;
        const stop = { now: false };
        const load = rate > 0 ? sendPaced(service.url, key, bodies, rate, stop) : Promise.resolve({ accepted: 0, seconds: 1, refused: {} });
        const reads = await sampleReadsEvery({
          base: service.url,
          headers: { authorization: `Bearer ${token}` },
          intervalMs: READ_INTERVAL_MS,
          durationMs: PHASE_MS,
          reads: readsOf(),
        });
        stop.now = true;
        const sent = await load;
        const eventLoop = await eventLoopP99Ms(service.url);
        stored.total += sent.accepted;
        phases.push({ name, targetRate: rate, acceptedRate: sent.accepted / sent.seconds, refused: sent.refused, reads, eventLoopP99Ms: eventLoop });
        for (const r of reads) if (r.failures.length > 0) throw new Error(`${r.name} failed during "${name}": ${r.failures.join('; ')}`);
        if (rate > 0) await drained(`the "${name}" phase`);
      }
    } finally {
      await pg.end();
    }
  } finally {
    await service?.stop();
    await db.drop();
    await nats.destroy();
  }
  report(results, maxRate, phases, machine.stop().note);
}

function readsOf(): Array<{ name: string; path: string }> {
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  return [
    { name: 'events page', path: '/v1/events?limit=50' },
    { name: 'analytics summary', path: `/v1/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` },
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

/** Waits until `total` events of the organization are in Postgres and in ClickHouse (the analytics summary counts them). */
async function waitUntilStored(url: string, token: string, pg: Client, total: number, label: string): Promise<void> {
  const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
  await waitFor(
    `${total} events of ${label} in Postgres and ClickHouse`,
    async () => {
      const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1', [ORG]);
      if (rows[0].n < total) return false;
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const res = await fetch(`${url}/v1/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { headers: { authorization: `Bearer ${token}` } });
      return res.status === 200 && ((await res.json()) as { total: number }).total >= total;
    },
    600_000,
    50,
  );
}

async function eventLoopP99Ms(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^audit_process_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text);
  if (!match) throw new Error('the standalone serves no audit_process_nodejs_eventloop_lag_p99_seconds');
  return Number(match[1]) * 1000;
}

function report(results: BenchResults, maxRate: number, phases: Phase[], loadNote: string): void {
  const line = (label: string, value: string): void => console.log(`${label.padEnd(64)} ${value}`);
  const idle = phases.find((p) => p.targetRate === 0);
  const stats = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), n: sorted.length };
  };
  console.log(`\nmixed benchmark: reads every ${READ_INTERVAL_MS} ms for ${PHASE_MS / 1000} s per phase, standalone app, every part on this machine\n`);
  line('sustained maximum (HTTP batches of 100 → Postgres and ClickHouse)', `${maxRate.toFixed(0)} events/s`);
  results.figure('standalone: sustained maximum ingest', Math.round(maxRate), 'events/s');
  const verdicts: string[] = [];
  for (const phase of phases) {
    console.log(`\n${phase.name}${phase.targetRate > 0 ? `: ${phase.targetRate.toFixed(0)} events/s asked, ${phase.acceptedRate.toFixed(0)} accepted` : ''}`);
    if (phase.targetRate > 0) results.figure(`standalone, ${phase.name}: ingest accepted`, Math.round(phase.acceptedRate), 'events/s');
    for (const [status, n] of Object.entries(phase.refused)) {
      line(`  POSTs answered ${status} and sent again`, String(n));
      results.figure(`standalone, ${phase.name}: POSTs answered ${status}`, n, 'requests');
    }
    for (const read of phase.reads) {
      const s = stats(read.samples);
      const base = idle && phase !== idle ? stats(idle.reads.find((r) => r.name === read.name)!.samples) : undefined;
      line(
        `  ${read.name}: p50 / p95 / p99 (ms, ${s.n} reads)`,
        `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.p99.toFixed(1)}${base ? `   idle ${base.p50.toFixed(1)} / ${base.p95.toFixed(1)} / ${base.p99.toFixed(1)}` : ''}`,
      );
      for (const p of ['p50', 'p95', 'p99'] as const) {
        results.figure(`standalone, ${phase.name}: ${read.name} ${p}`, round(s[p]), 'ms', base ? { name: `idle ${read.name} ${p}`, value: round(base[p]), unit: 'ms' } : undefined);
      }
      if (base && phase.targetRate > 0) verdicts.push(...targetsOf(phase, read.name, s, base));
    }
    line('  event-loop delay p99 of the standalone (ms)', phase.eventLoopP99Ms.toFixed(1));
    results.figure(`standalone, ${phase.name}: event-loop delay p99`, round(phase.eventLoopP99Ms), 'ms');
  }
  console.log('\ntargets');
  for (const v of verdicts) console.log(`  ${v}`);
  console.log(`\n${loadNote}`);
  results.note(`${SEED_EVENTS} seeded events, maximum measured over ${MAX_EVENTS} events, phases of ${PHASE_MS / 1000} s, reads every ${READ_INTERVAL_MS} ms of the organization being written`);
  for (const v of verdicts) results.note(v);
  results.note(loadNote);
  results.write();
}

function targetsOf(phase: Phase, read: string, s: { p95: number; p99: number }, idle: { p95: number }): string[] {
  const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');
  if (phase.name.startsWith('50%')) {
    return [`${phase.name}, ${read}: p95 ${s.p95.toFixed(1)} ms ≤ 2 × idle (${(2 * idle.p95).toFixed(1)}) and ≤ 100 ms: ${ok(s.p95 <= 2 * idle.p95 && s.p95 <= 100)}`];
  }
  if (read === '/healthz') return [`${phase.name}, ${read}: p99 ${s.p99.toFixed(1)} ms ≤ 50 ms: ${ok(s.p99 <= 50)}`];
  if (read === 'events page') return [`${phase.name}, ${read}: p95 ${s.p95.toFixed(1)} ms ≤ 250 ms: ${ok(s.p95 <= 250)}`];
  return [];
}

const round = (v: number): number => Math.round(v * 10) / 10;

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
