/**
 * npm run bench:ingest — end-to-end ingest throughput, accept→commit latency and CPU per event of the
 * standalone app (every service in one process) and of the same services as separate processes, beside
 * the raw limits of its parts measured in the same run on the same machine: a plain JetStream async
 * publish of the same payloads (by nats.js' request per message, and pipelined as ingest publishes), and
 * a plain COPY of the same rows into the same partitioned, indexed table.
 *
 * CPU µs per event are read from /proc for each process of the run (the app processes, this run's
 * nats-server, the Postgres backends of this run's database, the load generator), so the separate
 * processes give each stage its own figure: ingest over HTTP (HTTP, validation, publish), the bus-ingest
 * consumer (ingest's process while events arrive over NATS), the writer and the projector.
 *
 * The baseline: the same phases run from a copy of the commit `BENCH_BASELINE` (default 4965ddc, the
 * commit before the CPU work of issue 18; `none` to skip), extracted with `git archive` beside this
 * checkout and sharing its node_modules, each on its own bus and database, in the same run.
 *
 * BENCH_EVENTS sets the events per phase (default 50000); BENCH_WARMUP the events each deployment takes over
 * each transport first, not counted (default 10000). BENCH_TRANSPORTS limits the transports (`HTTP`, `NATS`;
 * default both; warm-up included), e.g. to compare two commits over HTTP alone in half the time. BENCH_MODES
 * limits the deployments (`standalone`, `split`; default both) and BENCH_ROUNDS repeats the whole run, the baseline and this commit taking turns,
 * each round on fresh processes: a phase's figures are then the round of median rate, and every round's rate
 * and CPU are printed, so that a slow round is told apart from a slow commit. Figures go to
 * bench/results/ingest.json too.
 */
import os from 'node:os';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createAuditClient } from '@audit/audit-client';
import { PipelinedPublisher } from '@audit/jetstream-publish';
import { demoEvents } from '@audit/cli';
import { STREAMS } from '@audit/bus-topology';
import { validateBatch, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { createTestDatabase, runCliProcess, startService, startTestNats, waitFor, WORKSPACE_ROOT, type RunningService } from '@audit/testing';
import { cpuSecondsByThread, followCpuByPid, followCpuByThreadName, namedThreadsBetween, cpuSecondsOfPid, secondsBetween, machineBusySeconds, percentile } from './cpu';
import { progress } from './progress';
import { BenchResults, machine as machineNow } from './results';
import { baselineCheckout } from './baseline';
import { postBatches, type HttpBatch } from './http-ingest';

/** A figure beside the same figure of the baseline commit, measured in the same run. */
type Figure = { name: string; value: number; unit: string; baseline?: number };

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const BASELINE = process.env.BENCH_BASELINE ?? '4965ddc';
/** Events sent through each transport before a deployment's measured phases (not counted): code paths compiled, pools and caches filled. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10_000);
const MODES = (process.env.BENCH_MODES ?? 'standalone,split').split(',').map((m) => m.trim());
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? 'HTTP,NATS').split(',').map((t) => t.trim().toUpperCase());
if (TRANSPORTS.some((t) => t !== 'HTTP' && t !== 'NATS')) throw new Error(`BENCH_TRANSPORTS takes HTTP and/or NATS (got ${process.env.BENCH_TRANSPORTS})`);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const HTTP_BATCH = 500;
const HTTP_CONCURRENCY = 4;
const SAMPLE_EVERY = 25;
const SERVICE_ENV = { AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'error' };
/** Environment for this checkout's services only (JSON), e.g. to set one setting apart from the baseline. */
const THIS_ENV = JSON.parse(process.env.BENCH_THIS_ENV ?? '{}') as Record<string, string>;
/** Node options for this checkout's services only (space-separated), e.g. a V8 flag beside the same commit as baseline; NODE_OPTIONS refuses most of them. */
const THIS_NODE_ARGS = (process.env.BENCH_THIS_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

type Mode = 'standalone' | 'split';
type Transport = 'HTTP' | 'NATS';

interface PhaseResult {
  variant: string;
  round: number;
  mode: Mode;
  transport: Transport;
  seconds: number;
  eventsPerSecond: number;
  latencies: number[];
  /** CPU µs per event of each process of the run. */
  cpuPerEvent: Record<string, number>;
  /** CPU µs per event of each app process by kind of thread (see cpuSecondsByThread). */
  threadsPerEvent: Record<string, Record<string, number>>;
  /** CPU µs per event of each app process by thread name (see followCpuByThreadName), printed for every round. */
  threadNamesPerEvent: Record<string, Record<string, number>>;
  /** Messages each durable consumer was sent again during the phase (deliveries beyond the stream's messages): a batch not acked nor kept alive in time. */
  redelivered: Record<string, number>;
  /** Cores the rest of the machine (other work than this run) kept busy meanwhile, on average. */
  othersBusyCores: number;
}

const phaseName = (mode: Mode, transport: Transport): string =>
  `${mode === 'standalone' ? 'standalone' : 'split services'}, ${transport === 'HTTP' ? `HTTP batches of ${HTTP_BATCH}` : 'client library over NATS'}`;

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = machineNow();
  const variants: Array<{ label: string; root: string; cleanup?: () => void }> = [];
  if (BASELINE !== 'none') {
    const baseline = baselineCheckout(BASELINE);
    variants.push({ ...baseline, label: `baseline ${baseline.label}` });
  }
  variants.push({ label: 'this commit', root: WORKSPACE_ROOT });
  const results: PhaseResult[] = [];
  let raw = { publishRate: 0, pipelinedRate: 0, copyRate: 0 };
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [i, variant] of variants.entries()) {
        const last = i === variants.length - 1 && round === ROUNDS;
        if (ROUNDS > 1) progress(`round ${round} of ${ROUNDS}: ${variant.label}`);
        const { phases, rawRates } = await runVariant(variant.label, variant.root, i, last);
        results.push(...phases.map((p) => ({ ...p, round })));
        if (rawRates) raw = rawRates;
      }
    }
  } finally {
    for (const v of variants) v.cleanup?.();
  }
  const loadAfter = os.loadavg();
  report(ROUNDS > 1 ? medianRounds(results) : results, raw, machine, startedAt, loadAfter);
}

/**
 * Prints every round's rate and CPU per process, then keeps, for each variant and phase, the round of median
 * rate (with an even count, the slower of the two middle rounds).
 */
function medianRounds(results: PhaseResult[]): PhaseResult[] {
  const groups = new Map<string, PhaseResult[]>();
  for (const r of results) {
    const key = `${r.variant}\u0000${r.mode}\u0000${r.transport}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  console.log(`\n${ROUNDS} rounds, each on fresh processes, the variants taking turns`);
  const kept: PhaseResult[] = [];
  for (const rounds of groups.values()) {
    const { variant, mode, transport } = rounds[0];
    console.log(`${variant}, ${phaseName(mode, transport)}`);
    for (const r of rounds) {
      const cpu = Object.entries(r.cpuPerEvent).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
      console.log(`  round ${r.round}: ${r.eventsPerSecond.toFixed(0).padStart(6)} events/s; CPU µs per event ${cpu}; others busy ${r.othersBusyCores.toFixed(2)} cores`);
      console.log(`    redelivered: ${Object.entries(r.redelivered).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const [proc, t] of Object.entries(r.threadNamesPerEvent)) {
        console.log(`    ${proc} by thread: ${Object.entries(t).filter(([, v]) => v >= 0.5).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      }
    }
    const byRate = [...rounds].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
    const median = byRate[Math.floor((byRate.length - 1) / 2)];
    console.log(`  median round ${median.round}: ${median.eventsPerSecond.toFixed(0)} events/s (min ${byRate[0].eventsPerSecond.toFixed(0)}, max ${byRate[byRate.length - 1].eventsPerSecond.toFixed(0)})`);
    kept.push(median);
  }
  return kept;
}

async function runVariant(
  label: string,
  root: string,
  index: number,
  measureRaw: boolean,
): Promise<{ phases: Array<Omit<PhaseResult, 'round'>>; rawRates?: { publishRate: number; pipelinedRate: number; copyRate: number } }> {
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench');
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, ...(root === WORKSPACE_ROOT ? THIS_ENV : {}) };
  const nodeArgs = root === WORKSPACE_ROOT ? THIS_NODE_ARGS : [];
  const phases: Array<Omit<PhaseResult, 'round'>> = [];
  const keyFor = async (org: string): Promise<string> =>
    (JSON.parse((await runCliProcess(['keys', 'create', '--org', org, '--json'], env)).stdout) as { key: string }).key;
  const now = new Date();
  const events = (org: string, seed: number): AuditEventInput[] => withIds(demoEvents(org, N, { now, spanMs: 3_600_000, seed }));
  // The same events for every variant (same seeds), under the variant's own organizations.
  const org = (name: string): string => `${name}-${index}`;
  // Postgres by pid, followed through the run: a backend that ends meanwhile keeps the time last read of it.
  const backends = followCpuByPid(new RegExp(`^postgres: (\\S+: )?\\S+ ${db.name} `));
  const others = (): Record<string, Map<number, number>> => ({
    'nats-server': new Map([[nats.pid, cpuSecondsOfPid(nats.pid)]]),
    postgres: backends.snapshot(),
  });
  let rawRates: { publishRate: number; pipelinedRate: number; copyRate: number } | undefined;
  /** Phases of WARMUP events through each transport benchmarked, whose figures are dropped. */
  const warmUp = async (mode: Mode, url: string, procs: Record<string, RunningService>): Promise<void> => {
    if (WARMUP <= 0) return;
    const make = (name: string, seed: number): AuditEventInput[] => withIds(demoEvents(org(name), WARMUP, { now, spanMs: 3_600_000, seed }));
    const http = make(`bench-warm-http-${mode}`, 5);
    const bus = make(`bench-warm-nats-${mode}`, 6);
    const key = await keyFor(http[0].organizationId);
    if (TRANSPORTS.includes('HTTP')) await phase(`${label} (warm-up)`, mode, 'HTTP', db, nats.url, http, procs, others, () => postAll(url, key, http));
    if (TRANSPORTS.includes('NATS')) await phase(`${label} (warm-up)`, mode, 'NATS', db, nats.url, bus, procs, others, () => emitAll(nats.url, bus));
  };
  try {
    // The standalone app: every service in one process (one Node thread), as `npm start` runs it.
    const service = MODES.includes('standalone') ? await startService('standalone', { ...env, ...SERVICE_ENV }, 60_000, root, nodeArgs) : undefined;
    if (service) try {
      const httpEvents = events(org('bench-http'), 1);
      const busEvents = events(org('bench-nats'), 2);
      const key = await keyFor(httpEvents[0].organizationId);
      const procs = { standalone: service };
      await warmUp('standalone', service.url, procs);
      if (TRANSPORTS.includes('HTTP')) phases.push(await phase(label, 'standalone', 'HTTP', db, nats.url, httpEvents, procs, others, () => postAll(service.url, key, httpEvents)));
      if (TRANSPORTS.includes('NATS')) phases.push(await phase(label, 'standalone', 'NATS', db, nats.url, busEvents, procs, others, () => emitAll(nats.url, busEvents)));
    } finally {
      await service.stop();
    }

    // The same services as separate processes (apps/ingest, apps/writer, apps/projector), as Kubernetes runs them.
    const split = MODES.includes('split') ? await Promise.all(['ingest', 'writer', 'projector'].map((app) => startService(app, { ...env, ...SERVICE_ENV }, 60_000, root, nodeArgs))) : undefined;
    if (split) try {
      const [ingest, writer, projector] = split;
      const splitHttp = events(org('bench-http-split'), 3);
      const splitBus = events(org('bench-nats-split'), 4);
      const key = await keyFor(splitHttp[0].organizationId);
      const procs = { ingest, writer, projector };
      await warmUp('split', ingest.url, procs);
      if (TRANSPORTS.includes('HTTP')) phases.push(await phase(label, 'split', 'HTTP', db, nats.url, splitHttp, procs, others, () => postAll(ingest.url, key, splitHttp)));
      if (TRANSPORTS.includes('NATS')) phases.push(await phase(label, 'split', 'NATS', db, nats.url, splitBus, procs, others, () => emitAll(nats.url, splitBus)));
    } finally {
      await Promise.all(split.map((s) => s.stop()));
    }

    if (measureRaw) {
      const busEvents = canonical(events(org('bench-raw'), 2));
      progress('raw JetStream publish and COPY');
      rawRates = {
        publishRate: await rawPublish(nats.url, busEvents, 'request'),
        pipelinedRate: await rawPublish(nats.url, busEvents, 'pipelined'),
        copyRate: await rawCopy(db.url, canonical(events(org('bench-raw-copy'), 1))),
      };
    }
  } finally {
    for (const follower of threadFollowers.values()) follower.stop();
    threadFollowers.clear();
    backends.stop();
    await db.drop();
    await nats.destroy();
  }
  return { phases, rawRates };
}

function report(
  results: PhaseResult[],
  raw: { publishRate: number; pipelinedRate: number; copyRate: number },
  machine: ReturnType<typeof machineNow>,
  startedAt: string,
  loadAfter: number[],
): void {
  const figures: Figure[] = [];
  const notes: string[] = [];
  const line = (label: string, value: string): void => console.log(`${label.padEnd(66)} ${value}`);
  const variants = [...new Set(results.map((r) => r.variant))];
  const current = variants[variants.length - 1];
  const baseline = variants.length > 1 ? variants[0] : undefined;
  const find = (variant: string | undefined, mode: Mode, transport: Transport): PhaseResult | undefined =>
    results.find((r) => r.variant === variant && r.mode === mode && r.transport === transport);

  console.log(`\ningest benchmark: ${N} events per phase, ${HTTP_CONCURRENCY} concurrent HTTP requests, every part on this machine`);
  const load = `machine: ${machine.cores} cores, ${machine.memoryGiB} GiB; load average ${machine.loadavg.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} at the end`;
  console.log(load);
  notes.push(load);
  for (const r of results) {
    const note = `${r.variant}, ${phaseName(r.mode, r.transport)}: other work on the machine kept ${r.othersBusyCores.toFixed(2)} of ${machine.cores} cores busy`;
    notes.push(note);
  }

  for (const variant of variants) {
    console.log(`\n${variant}`);
    for (const r of results.filter((x) => x.variant === variant)) {
      const name = phaseName(r.mode, r.transport);
      const sorted = [...r.latencies].sort((a, b) => a - b);
      line(`${name}: events/s accepted → committed`, r.eventsPerSecond.toFixed(0));
      line(`${name}: accept → commit p50 / p99 (ms)`, `${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)}  (${sorted.length} sampled, ±20 ms poll)`);
      const cpu = Object.entries(r.cpuPerEvent).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
      line(`${name}: CPU µs per event`, `${cpu}; all ${sum(r.cpuPerEvent).toFixed(0)}`);
      for (const [proc, t] of Object.entries(r.threadsPerEvent)) {
        line(`${name}: ${proc} CPU µs per event by thread`, Object.entries(t).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '));
      }
      line(`${name}: other work on the machine meanwhile`, `${r.othersBusyCores.toFixed(2)} of ${machine.cores} cores busy`);
    }
  }

  // The stages, from the separate processes: each stage is one process there.
  console.log('\nCPU µs per event by stage (separate processes)' + (baseline ? `, ${current} beside ${baseline}` : ''));
  const stages: Array<[string, Transport, string]> = [
    ['ingest: HTTP + validation + publish', 'HTTP', 'ingest'],
    ['ingest: bus-ingest consumer (validation + publish)', 'NATS', 'ingest'],
    ['writer (events over HTTP)', 'HTTP', 'writer'],
    ['projector (events over HTTP)', 'HTTP', 'projector'],
    ['nats-server (events over HTTP)', 'HTTP', 'nats-server'],
    ['postgres backends (events over HTTP)', 'HTTP', 'postgres'],
  ];
  for (const [stage, transport, proc] of stages) {
    const now = find(current, 'split', transport)?.cpuPerEvent[proc];
    const before = find(baseline, 'split', transport)?.cpuPerEvent[proc];
    if (now === undefined) continue;
    line(`  ${stage}`, before === undefined ? now.toFixed(1) : `${now.toFixed(1)}  (baseline ${before.toFixed(1)}, ×${(now / before).toFixed(2)})`);
    figures.push({ name: `CPU per event, stage ${stage}`, value: round1(now), unit: 'µs/event', ...(before === undefined ? {} : { baseline: round1(before) }) });
  }

  console.log('\nThe standalone process: CPU µs per event (target ≤ 0.5 × baseline) and end-to-end rate');
  for (const transport of ['HTTP', 'NATS'] as const) {
    const now = find(current, 'standalone', transport);
    const before = find(baseline, 'standalone', transport);
    if (!now) continue;
    const name = phaseName('standalone', transport);
    const cpu = now.cpuPerEvent['standalone'];
    const cpuBefore = before?.cpuPerEvent['standalone'];
    line(`  ${name}: standalone process`, cpuBefore === undefined ? `${cpu.toFixed(1)} µs` : `${cpu.toFixed(1)} µs  (baseline ${cpuBefore.toFixed(1)}, ×${(cpu / cpuBefore).toFixed(2)})`);
    for (const [kind, value] of Object.entries(now.threadsPerEvent['standalone'] ?? {})) {
      const was = before?.threadsPerEvent['standalone']?.[kind];
      line(`  ${name}: standalone, ${kind} threads`, was === undefined ? `${value.toFixed(1)} µs` : `${value.toFixed(1)} µs  (baseline ${was.toFixed(1)})`);
      figures.push({ name: `${name}: CPU per event, standalone ${kind} threads`, value: round1(value), unit: 'µs/event', ...(was === undefined ? {} : { baseline: round1(was) }) });
    }
    line(`  ${name}: all processes of the run`, before ? `${sum(now.cpuPerEvent).toFixed(1)} µs  (baseline ${sum(before.cpuPerEvent).toFixed(1)})` : `${sum(now.cpuPerEvent).toFixed(1)} µs`);
    line(`  ${name}: events/s`, before ? `${now.eventsPerSecond.toFixed(0)}  (baseline ${before.eventsPerSecond.toFixed(0)})` : now.eventsPerSecond.toFixed(0));
    figures.push({ name: `${name}: CPU per event, standalone process`, value: round1(cpu), unit: 'µs/event', ...(cpuBefore === undefined ? {} : { baseline: round1(cpuBefore) }) });
    figures.push({ name: `${name}: CPU per event, all processes`, value: round1(sum(now.cpuPerEvent)), unit: 'µs/event', ...(before ? { baseline: round1(sum(before.cpuPerEvent)) } : {}) });
  }
  for (const r of results.filter((x) => x.variant === current)) {
    const before = find(baseline, r.mode, r.transport);
    const sorted = [...r.latencies].sort((a, b) => a - b);
    const sortedBefore = before ? [...before.latencies].sort((a, b) => a - b) : undefined;
    const name = phaseName(r.mode, r.transport);
    figures.push({ name: `${name}: events accepted → committed`, value: Math.round(r.eventsPerSecond), unit: 'events/s', ...(before ? { baseline: Math.round(before.eventsPerSecond) } : {}) });
    figures.push({ name: `${name}: accept → commit p99`, value: percentile(sorted, 99), unit: 'ms', ...(sortedBefore ? { baseline: percentile(sortedBefore, 99) } : {}) });
  }

  console.log('');
  line('raw: JetStream async publish (js.publish), same payloads (msg/s)', raw.publishRate.toFixed(0));
  line('raw: JetStream pipelined publish, same payloads (msg/s)', raw.pipelinedRate.toFixed(0));
  line('raw: COPY into the same partitioned, indexed table (rows/s)', raw.copyRate.toFixed(0));
  figures.push({ name: 'raw: JetStream async publish (js.publish)', value: Math.round(raw.publishRate), unit: 'msg/s' });
  figures.push({ name: 'raw: JetStream pipelined publish', value: Math.round(raw.pipelinedRate), unit: 'msg/s' });
  figures.push({ name: 'raw: COPY into the same partitioned, indexed table', value: Math.round(raw.copyRate), unit: 'rows/s' });
  for (const r of results.filter((x) => x.variant === current)) line(`ratio pipeline ÷ raw COPY, ${phaseName(r.mode, r.transport)}`, (r.eventsPerSecond / raw.copyRate).toFixed(2));
  if (WARMUP > 0) notes.push(`each deployment (standalone, separate processes) first took ${WARMUP} events over HTTP and ${WARMUP} over NATS, not counted`);
  if (ROUNDS > 1) notes.push(`${ROUNDS} rounds on fresh processes, the variants taking turns; each figure is from the round of median rate`);
  if (baseline) notes.push(`baseline: the same phases run from ${baseline} in the same run (git archive of the commit, same node_modules, own bus and database)`);
  notes.push('CPU per event: /proc user+system time of each process over the phase ÷ events; postgres counts only the backends of the run\'s database (not the WAL writer or checkpointer), read every 0.5 s so that a backend that ended keeps its time up to its last reading');
  if (retried503 > 0) {
    const note = `${retried503} POSTs were answered 503 or 408 (the machine too loaded to answer in time) and sent again with the same ids`;
    console.log(note);
    notes.push(note);
  }
  const out = new BenchResults('ingest', startedAt);
  for (const f of figures) out.figure(f.name, f.value, f.unit, f.baseline === undefined ? undefined : { name: `${f.name} at ${baseline}`, value: f.baseline, unit: f.unit });
  for (const note of notes) out.note(note);
  out.write();
}

const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);
const round1 = (value: number): number => Math.round(value * 10) / 10;

/** Each app process's threads, followed from its first phase on (see followCpuByThreadName). */
const threadFollowers = new Map<number, ReturnType<typeof followCpuByThreadName>>();
const threadsByName = (services: Record<string, RunningService>): Record<string, Map<string, number>> =>
  Object.fromEntries(
    Object.entries(services).map(([name, s]) => {
      const pid = s.process.pid as number;
      if (!threadFollowers.has(pid)) threadFollowers.set(pid, followCpuByThreadName(pid));
      return [name, (threadFollowers.get(pid) as ReturnType<typeof followCpuByThreadName>).snapshot()];
    }),
  );

/** POSTs answered 503 or 408 and sent again (reported: a loaded machine). */
let retried503 = 0;

async function postAll(url: string, key: string, events: AuditEventInput[]): Promise<void> {
  const batches: HttpBatch[] = [];
  for (let i = 0; i < events.length; i += HTTP_BATCH) batches.push({ key, events: events.slice(i, i + HTTP_BATCH) });
  retried503 += (await postBatches(url, batches, HTTP_CONCURRENCY)).retried;
}

async function emitAll(natsUrl: string, events: AuditEventInput[]): Promise<void> {
  const client = await createAuditClient({ natsUrl });
  try {
    for (let i = 0; i < events.length; i += 1000) await client.emitBatch(events.slice(i, i + 1000));
  } finally {
    await client.close();
  }
}

function withIds(inputs: AuditEventInput[]): AuditEventInput[] {
  // Ids are fixed up front so the run can follow each sampled event to its commit.
  const result = validateBatch(inputs.slice(0, 1), { now: new Date() });
  if (!result.ok) throw new Error('demo events are invalid');
  return inputs.map((e) => ({ ...e, id: crypto.randomUUID() }));
}

function canonical(inputs: AuditEventInput[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < inputs.length; i += 1000) {
    const result = validateBatch(inputs.slice(i, i + 1000), { now: new Date() });
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 3)));
    events.push(...result.events.map((e) => ({ ...e, id: crypto.randomUUID() })));
  }
  return events;
}

async function phase(
  variant: string,
  mode: Mode,
  transport: Transport,
  db: { url: string },
  natsUrl: string,
  events: AuditEventInput[],
  services: Record<string, RunningService>,
  others: () => Record<string, Map<number, number>>,
  send: () => Promise<void>,
): Promise<Omit<PhaseResult, 'round'>> {
  progress(`${variant}: ${phaseName(mode, transport)}`);
  const org = events[0].organizationId;
  const sample = events.filter((_, i) => i % SAMPLE_EVERY === 0).map((e) => e.id as string);
  const latencies: number[] = [];
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const cpu = (): Record<string, Map<number, number>> => ({
    ...Object.fromEntries(Object.entries(services).map(([name, s]) => [name, new Map([[s.process.pid as number, cpuSecondsOfPid(s.process.pid as number)]])])),
    ...others(),
    'bench client': new Map([[process.pid, cpuSecondsOfPid(process.pid)]]),
  });
  const threads = (): Record<string, Record<string, number>> =>
    Object.fromEntries(Object.entries(services).map(([name, s]) => [name, cpuSecondsByThread(s.process.pid as number)]));
  const cpuBefore = cpu();
  const threadsBefore = threads();
  const namedBefore = threadsByName(services);
  const deliveriesBefore = await deliveries(natsUrl);
  const machineBefore = machineBusySeconds();
  const started = Date.now();
  let sending = true;
  const sent = send().finally(() => (sending = false));
  const pendingSample = new Set(sample);
  let committedAt = 0;
  await waitFor(
    `${events.length} rows of ${org}`,
    async () => {
      const polledAt = Date.now();
      const seen = await pg.query<{ id: string; receivedAt: Date }>(
        'SELECT id, "receivedAt" FROM audit_trail_events WHERE "organizationId" = $1 AND id = ANY($2::uuid[])',
        [org, [...pendingSample]],
      );
      for (const row of seen.rows) {
        latencies.push(polledAt - row.receivedAt.getTime());
        pendingSample.delete(row.id);
      }
      if (pendingSample.size > 0 || sending) return false;
      const { rows } = await pg.query<{ n: string }>('SELECT count(*) AS n FROM audit_trail_events WHERE "organizationId" = $1', [org]);
      if (Number(rows[0].n) < events.length) return false;
      committedAt = Date.now();
      return true;
    },
    600_000,
    20,
  );
  await sent;
  await pg.end();
  // The CPU of the phase includes the projector's work after Postgres has every row: it is read once every
  // consumer of the run has settled everything it was given.
  await waitForConsumersIdle(natsUrl, mode === 'standalone' ? 'all' : ['ingest', 'writer', 'projector']);
  const cpuAfter = cpu();
  const threadsAfter = threads();
  const namedAfter = threadsByName(services);
  const deliveriesAfter = await deliveries(natsUrl);
  const redelivered = Object.fromEntries(Object.entries(deliveriesAfter).map(([name, n]) => [name, n - (deliveriesBefore[name] ?? 0)]));
  const threadNamesPerEvent = Object.fromEntries(
    Object.entries(namedAfter).map(([name, after]) => [
      name,
      Object.fromEntries(Object.entries(namedThreadsBetween(namedBefore[name] ?? new Map(), after)).map(([k, v]) => [k, (v * 1e6) / events.length])),
    ]),
  );
  const threadsPerEvent = Object.fromEntries(
    Object.entries(threadsAfter).map(([name, t]) => [name, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, ((v - (threadsBefore[name]?.[k] ?? 0)) * 1e6) / events.length]))]),
  );
  const machineSeconds = machineBusySeconds() - machineBefore;
  const wallSeconds = (Date.now() - started) / 1000;
  const used = Object.fromEntries(Object.keys(cpuAfter).map((k) => [k, secondsBetween(cpuBefore[k] ?? new Map(), cpuAfter[k])]));
  const cpuPerEvent = Object.fromEntries(Object.entries(used).map(([k, v]) => [k, (v * 1e6) / events.length]));
  const seconds = (committedAt - started) / 1000;
  return {
    variant,
    mode,
    transport,
    seconds,
    eventsPerSecond: events.length / seconds,
    latencies,
    cpuPerEvent,
    threadsPerEvent,
    threadNamesPerEvent,
    redelivered,
    othersBusyCores: Math.max(0, machineSeconds - sum(used)) / wallSeconds,
  };
}

/**
 * Waits until the durable consumers the phase's apps run have nothing pending or unacknowledged (all of the
 * run's consumers for the standalone; ingest, writer and projector for the separate processes).
 */
async function waitForConsumersIdle(natsUrl: string, durables: readonly string[] | 'all'): Promise<void> {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    await waitFor(
      'every consumer of the phase to settle its messages',
      async () => {
        for (const stream of [STREAMS.ingest, STREAMS.events]) {
          for await (const info of jsm.consumers.list(stream)) {
            if (durables !== 'all' && !durables.includes(info.name)) continue;
            if (info.num_pending + info.num_ack_pending > 0) return false;
          }
        }
        return true;
      },
      600_000,
      100,
    );
  } finally {
    await nc.close();
  }
}

/**
 * Each durable consumer's deliveries so far beyond the stream's messages: its delivery sequence counts every
 * sending, the stream sequence it reached each message once (the run's consumers start at the stream's first).
 */
async function deliveries(natsUrl: string): Promise<Record<string, number>> {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const result: Record<string, number> = {};
    for (const stream of [STREAMS.ingest, STREAMS.events]) {
      for await (const info of jsm.consumers.list(stream)) result[info.name] = info.delivered.consumer_seq - info.delivered.stream_seq;
    }
    return result;
  } finally {
    await nc.close();
  }
}

/** Publishes with a window of 1024 in flight: by nats.js' request per message, or pipelined as ingest does. */
async function rawPublish(natsUrl: string, events: AuditEvent[], mode: 'request' | 'pipelined'): Promise<number> {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  const js = jetstream(nc);
  const pipelined = new PipelinedPublisher(nc);
  const payloads = events.map((e) => JSON.stringify(e));
  const publish = (i: number): Promise<unknown> =>
    mode === 'request'
      ? js.publish(`bench.raw.${events[i].organizationId}`, payloads[i], { msgID: events[i].id })
      : pipelined.publish(`bench.raw.${events[i].organizationId}`, payloads[i], { msgId: events[i].id });
  const started = performance.now();
  const window = 1024;
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < payloads.length) {
        await publish(next++);
      }
    }),
  );
  const rate = payloads.length / ((performance.now() - started) / 1000);
  pipelined.close();
  await jsm.streams.delete('BENCH_RAW');
  await nc.close();
  return rate;
}

/** COPY into the pipeline's own table (same partitions and indexes), emptied first. */
async function rawCopy(url: string, events: AuditEvent[]): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  await pg.query('TRUNCATE audit_trail_events');
  const esc = (v: unknown): string => (v === null || v === undefined ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));
  const text = events
    .map((e) =>
      [e.id, e.organizationId, e.actionType, e.userId, e.ipAddress, e.responseTimeMs, e.pageName, e.queryName, e.resourceName, JSON.stringify(e.metadata), e.createdAt, e.receivedAt]
        .map(esc)
        .join('\t'),
    )
    .join('\n');
  const started = performance.now();
  const stream = pg.query(
    copyFrom('COPY audit_trail_events (id, "organizationId", "actionType", "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName", metadata, "createdAt", "receivedAt") FROM STDIN'),
  );
  await pipeline(Readable.from([`${text}\n`]), stream);
  const rate = events.length / ((performance.now() - started) / 1000);
  await pg.end();
  return rate;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
