/**
 * npm run bench:seal — the tamper-evident log end to end, each figure beside its raw baseline from the
 * same run, at BENCH_EVENTS events (default 50000; the scale is printed with every figure):
 *  1. pipeline events/s with the sealer off and on (target: on ≥ 0.9 × off), over BENCH_ORGS organizations
 *     (default 4), measured twice over the same events:
 *     - the deployed pipeline: the events POSTed over HTTP (batches of 500, 4 in flight, each organization
 *       with its own API key) to the ingest service, written by the writer and projected by the projector,
 *       each its own process as deployed, with and without the sealer; the rate from the first POST until
 *       the writer (and the sealer, when on) acked everything, and each process's CPU per event;
 *     - writer only, the strictest form: the events published pre-validated straight onto AUDIT_EVENTS, the
 *       writer alone or beside the sealer; the writer's rate from the first publish until it acked everything,
 *       each service's own CPU per event (/proc/<pid>/stat, so it stays meaningful on a shared machine) and
 *       the sealer's own rate until it acked everything;
 *  2. accept → sealed-in-a-checkpoint latency p50/p99 under sustained load: BENCH_RATE events/s
 *     (default 1000) published for BENCH_SECONDS (default 20) with writer and sealer running; an event is
 *     sealed when the first checkpoint covering its leaf was signed (target p99 ≤ 10 s);
 *  3. proof API p95 (`GET /v1/events/:id/proof`, sequential, random events) beside `GET /healthz` on the
 *     same query process (target ≤ 20 ms at 10M events; here at the run's scale);
 *  4. offline verification rate of a bundle export of every event (the exporter service writes it,
 *     `verifyBundleFile` reads it back as `verify export` does), beside reading and parsing the same file
 *     alone (target ≥ 200k events/s);
 *  5. the storage the log adds per event (log_leaves, log_nodes, log_checkpoints, indexes included)
 *     beside audit_trail_events' own.
 * Phase 1 also runs the sealer of the commit BENCH_BASELINE (default 0d008aa, the commit before the log kept
 * only every 4th level of subtrees; `none` to skip), extracted with `git archive` beside this checkout, over
 * the same events with this checkout's writer: its CPU per event and the `log_nodes` rows and bytes per event
 * of both are printed side by side.
 * Each service runs as its own process (as deployed), on a fresh nats-server and database per phase. The
 * machine's load while it ran is printed and recorded with the figures (bench/results/seal.json).
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { demoEvents, verifyBundleFile } from '@audit/cli';
import { validateBatch, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { TokensService } from '@audit/auth';
import {
  connectTestBus,
  createTestDatabase,
  runCliProcess,
  startService,
  startTestNats,
  waitFor,
  waitForConsumerIdle,
  type RunningService,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';
import { generateNoteKey, parseVerifierKey } from '@audit/transparency';
import { baselineCheckout } from './baseline';
import { cpuSecondsOfPid, percentile, waitForQuietMachine, watchMachineLoad } from './cpu';
import { postBatches, type HttpBatch } from './http-ingest';
import { BenchResults } from './results';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PROOFS = Number(process.env.BENCH_PROOFS ?? 500);
const ORGS = Number(process.env.BENCH_ORGS ?? 4);
const BASELINE = process.env.BENCH_BASELINE ?? '0d008aa';
/** The organization whose events the proof and export figures use; phase 1 spreads its events over ORGS organizations, this one first. */
const ORG = 'bench-seal';
const results = new BenchResults('seal');
const KEY = generateNoteKey('bench');
const SECRET = 'bench-seal-secret-bench-seal-secret';

function makeEvents(n: number, org = ORG, seed = 7): AuditEvent[] {
  const now = new Date();
  const inputs = demoEvents(org, n, { now, spanMs: 3_600_000, seed });
  const events: AuditEvent[] = [];
  for (let i = 0; i < inputs.length; i += 1000) {
    const result = validateBatch(inputs.slice(i, i + 1000), { now });
    if (!result.ok) throw new Error(`demo events are not valid: ${JSON.stringify(result.errors.slice(0, 3))}`);
    events.push(...result.events);
  }
  return events;
}

const publishAll = async (bus: TestBus, events: readonly AuditEvent[]) => {
  for (let i = 0; i < events.length; i += 1000) {
    await Promise.all(events.slice(i, i + 1000).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
  }
};

interface Stack {
  nats: TestNats;
  db: TestDatabase;
  bus: TestBus;
  /** The running apps, in the order `stack` was given them. */
  apps: string[];
  services: RunningService[];
  env: Record<string, string>;
}

/** Starts `apps` on a fresh bus and database, each from this checkout or from the checkout `roots` names for it. */
async function stack(apps: string[], roots: Record<string, string> = {}): Promise<Stack> {
  await waitForQuietMachine(0.3, 3, 60);
  const [nats, db] = await Promise.all([startTestNats(), createTestDatabase('audit_bench_seal')]);
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'error', SEAL_PRIVATE_KEY: KEY.signerKey, SEAL_INTERVAL: '1s', AUTH_JWT_SECRET: SECRET };
  const services: RunningService[] = [];
  for (const app of apps) services.push(await startService(app, env, 60_000, roots[app]));
  return { nats, db, bus: await connectTestBus(nats.url), apps, services, env };
}

async function teardown(s: Stack): Promise<void> {
  await s.bus.close();
  for (const service of s.services) await service.stop();
  await s.nats.destroy();
  await s.db.drop();
}

/** `run` on a fresh stack of `apps`, torn down afterwards even when `run` fails (its services would outlive the bench). */
async function onStack<T>(apps: string[], run: (s: Stack) => Promise<T>): Promise<T> {
  const s = await stack(apps);
  try {
    return await run(s);
  } finally {
    await teardown(s);
  }
}

/** Each service's events/s over `events` (from the first publish until its consumer acked everything) and its process's CPU µs per event. */
async function pipeline(s: Stack, apps: readonly string[], events: readonly AuditEvent[]): Promise<Map<string, { perSecond: number; cpuMicros: number }>> {
  const cpu0 = s.services.map((service) => cpuSecondsOfPid(service.process.pid as number));
  const t0 = performance.now();
  await publishAll(s.bus, events);
  const figures = await Promise.all(
    apps.map(async (app, i) => {
      await waitForConsumerIdle(s.bus.jsm, STREAMS.events, app, 1_800_000);
      const seconds = (performance.now() - t0) / 1000;
      const cpuMicros = ((cpuSecondsOfPid(s.services[i].process.pid as number) - cpu0[i]) * 1e6) / events.length;
      return [app, { perSecond: events.length / seconds, cpuMicros }] as const;
    }),
  );
  return new Map(figures);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** The services of the deployed pipeline, each its own process (as Kubernetes runs them); the sealer joins them when on. */
const DEPLOYED = ['ingest', 'writer', 'projector'];
const HTTP_BATCH = 500;
const HTTP_CONCURRENCY = 4;

/** What an emitter sends for a canonical event (everything but what ingest adds), id included, so every run accepts the same events. */
function inputOf(e: AuditEvent): AuditEventInput {
  const { id, organizationId, actionType, userId, user, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, createdAt } = e;
  return { id, organizationId, actionType, userId, user, ipAddress, responseTimeMs, pageName, queryName, resourceName, metadata, createdAt };
}

/**
 * The events as POSTs of HTTP_BATCH events of one organization each, under its own API key (made on the
 * stack's database), the organizations' batches taking turns in the events' order: ingest's traffic then
 * mixes organizations as the writer-only phase's does, so a sealer batch holds several logs' events.
 */
async function httpBatches(s: Stack, events: readonly AuditEvent[]): Promise<HttpBatch[]> {
  const byOrganization = new Map<string, AuditEventInput[]>();
  for (const e of events) {
    const inputs = byOrganization.get(e.organizationId);
    if (inputs) inputs.push(inputOf(e));
    else byOrganization.set(e.organizationId, [inputOf(e)]);
  }
  const perOrganization: HttpBatch[][] = [];
  for (const [org, inputs] of byOrganization) {
    const created = await runCliProcess(['keys', 'create', '--org', org, '--json'], s.env);
    if (created.code !== 0) throw new Error(`keys create --org ${org} failed: ${created.stderr}`);
    const { key } = JSON.parse(created.stdout) as { key: string };
    const batches: HttpBatch[] = [];
    for (let i = 0; i < inputs.length; i += HTTP_BATCH) batches.push({ key, events: inputs.slice(i, i + HTTP_BATCH) });
    perOrganization.push(batches);
  }
  const turns: HttpBatch[] = [];
  for (let i = 0; perOrganization.some((b) => i < b.length); i++) {
    for (const batches of perOrganization) if (i < batches.length) turns.push(batches[i]);
  }
  return turns;
}

interface DeployedFigures {
  perSecond: number;
  /** Each service's process's CPU µs per event. */
  cpuMicros: Record<string, number>;
  retried: number;
}

/**
 * The deployed pipeline's events/s over `events`: from the first POST to ingest until every consumer of
 * `acked` (the writer, and the sealer when on) acked everything; each service's CPU per event is read once
 * the projector has settled too, so its share is whole.
 */
async function deployedPipeline(s: Stack, acked: readonly string[], events: readonly AuditEvent[]): Promise<DeployedFigures> {
  const batches = await httpBatches(s, events);
  const ingest = s.services[s.apps.indexOf('ingest')];
  const cpu0 = s.services.map((service) => cpuSecondsOfPid(service.process.pid as number));
  const t0 = performance.now();
  const { retried } = await postBatches(ingest.url, batches, HTTP_CONCURRENCY);
  await Promise.all(acked.map((durable) => waitForConsumerIdle(s.bus.jsm, STREAMS.events, durable, 1_800_000)));
  const seconds = (performance.now() - t0) / 1000;
  await waitForConsumerIdle(s.bus.jsm, STREAMS.events, 'projector', 1_800_000);
  const cpuMicros = Object.fromEntries(s.apps.map((app, i) => [app, ((cpuSecondsOfPid(s.services[i].process.pid as number) - cpu0[i]) * 1e6) / events.length]));
  // Counted by id: creating the API keys put events of its own (the platform audits itself) through the pipeline.
  const ids = events.map((e) => e.id);
  const [written] = await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids]);
  if (written.n !== events.length) throw new Error(`the writer stored ${written.n} of ${events.length} events`);
  if (acked.includes('sealer')) {
    const [leaves] = await s.db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_leaves WHERE "eventId" = ANY($1::uuid[])', [ids]);
    if (leaves.n !== events.length) throw new Error(`the sealer appended ${leaves.n} of ${events.length} events`);
  }
  return { perSecond: events.length / seconds, cpuMicros, retried };
}

const cpuList = (cpu: Record<string, number>): string =>
  `${Object.entries(cpu)
    .map(([app, micros]) => `${app} ${micros.toFixed(0)}`)
    .join(', ')}; all ${Object.values(cpu)
    .reduce((a, b) => a + b, 0)
    .toFixed(0)} µs`;

/** `log_nodes` rows and bytes (table and index) per sealed event. */
async function nodesPerEvent(db: TestDatabase, events: number): Promise<{ rows: number; bytes: number }> {
  const [r] = await db.query<{ rows: string; bytes: string }>(`SELECT (SELECT count(*) FROM log_nodes) AS rows, pg_total_relation_size('log_nodes') AS bytes`);
  return { rows: Number(r.rows) / events, bytes: Number(r.bytes) / events };
}

async function main(): Promise<void> {
  const load = watchMachineLoad();
  const orgs = Array.from({ length: ORGS }, (_, o) => (o === 0 ? ORG : `${ORG}-${o + 1}`));
  const all = orgs.flatMap((org, o) => makeEvents(Math.ceil(N / ORGS), org, o + 7)).slice(0, N);
  // Interleaved as traffic of many organizations arrives, so a sealer batch holds several logs' events.
  all.sort((a, b) => a.id.localeCompare(b.id));
  const events = all.filter((e) => e.organizationId === ORG);
  const scale = `${fmt(all.length)} events over ${ORGS} organizations`;
  console.log(`scale: ${scale} (BENCH_EVENTS, BENCH_ORGS); proofs and export over ${fmt(events.length)} events of ${ORG}`);
  results.note(`scale: ${scale}; proofs and the export over the ${fmt(events.length)} events of one of them`);

  // 1a. The deployed pipeline (HTTP → ingest → writer + projector) with the sealer off, then on.
  const httpOff = await onStack(DEPLOYED, (s) => deployedPipeline(s, ['writer'], all));
  const httpOn = await onStack([...DEPLOYED, 'sealer'], (s) => deployedPipeline(s, ['writer', 'sealer'], all));
  const httpRatio = httpOn.perSecond / httpOff.perSecond;
  console.log(
    `1. deployed pipeline events/s (HTTP → ingest → writer + projector, separate processes; first POST until writer [+ sealer] acked all)\n` +
      `                        sealer off ${fmt(httpOff.perSecond).padStart(8)}   on ${fmt(httpOn.perSecond).padStart(8)}   on/off ${httpRatio.toFixed(2)}× (target ≥ 0.90)`,
  );
  console.log(`   CPU µs per event     sealer off: ${cpuList(httpOff.cpuMicros)}\n                        sealer on:  ${cpuList(httpOn.cpuMicros)}`);
  results.figure('deployed pipeline events/s with the sealer on (HTTP → ingest → writer + projector + sealer, separate processes)', Math.round(httpOn.perSecond), 'events/s', {
    name: 'sealer off (ingest → writer + projector)',
    value: Math.round(httpOff.perSecond),
    unit: 'events/s',
  });
  results.figure('deployed pipeline on/off ratio', Math.round(httpRatio * 100) / 100, '×');
  const sumCpu = (cpu: Record<string, number>): number => Math.round(Object.values(cpu).reduce((a, b) => a + b, 0));
  results.figure('deployed pipeline CPU per event of its services, sealer on', sumCpu(httpOn.cpuMicros), 'µs', { name: 'sealer off', value: sumCpu(httpOff.cpuMicros), unit: 'µs' });
  results.note(
    `deployed pipeline: POSTs of ${HTTP_BATCH} events of one organization, ${HTTP_CONCURRENCY} in flight, to the ingest service; ingest, writer, projector (and sealer) each its own process; ` +
      `the rate runs from the first POST until the writer (and the sealer, when on) acked everything; CPU µs per event with the sealer off ${cpuList(httpOff.cpuMicros)}, on ${cpuList(httpOn.cpuMicros)} (each process's own, not Postgres or nats-server)`,
  );
  if (httpOff.retried + httpOn.retried > 0) results.note(`deployed pipeline: ${httpOff.retried + httpOn.retried} POSTs answered 503 or 408 (a loaded machine) were sent again with the same ids`);

  // 1b. Writer only (events published pre-validated onto AUDIT_EVENTS) with the sealer off, then on.
  const off = await stack(['writer']);
  const alone = await pipeline(off, ['writer'], all);
  await teardown(off);
  const on = await stack(['writer', 'sealer']);
  const together = await pipeline(on, ['writer', 'sealer'], all);
  const [leafCount] = await on.db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_leaves');
  if (leafCount.n !== all.length) throw new Error(`the sealer appended ${leafCount.n} of ${all.length} events`);
  const writerOff = alone.get('writer') as { perSecond: number; cpuMicros: number };
  const writerOn = together.get('writer') as { perSecond: number; cpuMicros: number };
  const sealer = together.get('sealer') as { perSecond: number; cpuMicros: number };
  const nodes = await nodesPerEvent(on.db, all.length);
  const ratio = writerOn.perSecond / writerOff.perSecond;
  console.log(`   writer-only pipeline events/s (pre-validated events published onto AUDIT_EVENTS; the strictest form)`);
  console.log(`                        sealer off ${fmt(writerOff.perSecond).padStart(8)}   on ${fmt(writerOn.perSecond).padStart(8)}   on/off ${ratio.toFixed(2)}× (target ≥ 0.90)`);
  console.log(
    `   CPU per event        writer alone ${writerOff.cpuMicros.toFixed(0)} µs   writer beside the sealer ${writerOn.cpuMicros.toFixed(0)} µs   sealer ${sealer.cpuMicros.toFixed(0)} µs (each process's own); sealer done at ${fmt(sealer.perSecond)} events/s`,
  );
  results.figure('writer-only pipeline events/s with the sealer on (pre-validated events published onto AUDIT_EVENTS)', Math.round(writerOn.perSecond), 'events/s', {
    name: 'sealer off (writer alone)',
    value: Math.round(writerOff.perSecond),
    unit: 'events/s',
  });
  results.figure('writer-only pipeline on/off ratio', Math.round(ratio * 100) / 100, '×');
  results.figure('sealer CPU per event', Math.round(sealer.cpuMicros), 'µs', { name: 'writer CPU per event, alone', value: Math.round(writerOff.cpuMicros), unit: 'µs' });
  results.figure('sealer events/s (first publish until it acked everything)', Math.round(sealer.perSecond), 'events/s');
  if (BASELINE !== 'none') {
    const baseline = baselineCheckout(BASELINE);
    try {
      const before = await stack(['writer', 'sealer'], { sealer: baseline.root });
      const then = await pipeline(before, ['writer', 'sealer'], all);
      const beforeNodes = await nodesPerEvent(before.db, all.length);
      await teardown(before);
      const old = then.get('sealer') as { perSecond: number; cpuMicros: number };
      console.log(
        `   sealer of ${baseline.label} (same events, this writer): CPU ${old.cpuMicros.toFixed(0)} µs/event, done at ${fmt(old.perSecond)} events/s; ` +
          `log_nodes ${beforeNodes.rows.toFixed(3)} rows, ${beforeNodes.bytes.toFixed(0)} B per event   ` +
          `(this sealer: ${sealer.cpuMicros.toFixed(0)} µs/event; log_nodes ${nodes.rows.toFixed(4)} rows, ${nodes.bytes.toFixed(1)} B per event)`,
      );
      results.figure('sealer CPU per event, beside the baseline commit', Math.round(sealer.cpuMicros), 'µs', { name: `sealer of ${baseline.label}`, value: Math.round(old.cpuMicros), unit: 'µs' });
      results.figure('log_nodes bytes per event', Math.round(nodes.bytes * 10) / 10, 'B', { name: `with the sealer of ${baseline.label}`, value: Math.round(beforeNodes.bytes), unit: 'B' });
    } finally {
      baseline.cleanup();
    }
  } else {
    console.log(`   log_nodes ${nodes.rows.toFixed(4)} rows, ${nodes.bytes.toFixed(1)} B per event`);
  }

  // 2. Accept → sealed in a checkpoint, under a sustained rate.
  const sustained = makeEvents(RATE * SECONDS, `${ORG}-load`);
  const publishedAt = new Map<string, number>();
  const t0 = Date.now();
  for (let i = 0; i < sustained.length; i += RATE / 10) {
    const due = t0 + (i / RATE) * 1000;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const slice = sustained.slice(i, i + RATE / 10);
    await Promise.all(
      slice.map(async (e) => {
        publishedAt.set(e.id, Date.now());
        await on.bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
      }),
    );
  }
  await waitFor(
    'every sustained event in a checkpoint',
    async () => {
      const [row] = await on.db.query<{ covered: boolean }>(
        `SELECT coalesce((SELECT max("treeSize") FROM log_checkpoints WHERE "organizationId" = $1), 0) >= $2 AS covered`,
        [`${ORG}-load`, sustained.length],
      );
      return row.covered ? true : undefined;
    },
    120_000,
    200,
  );
  const leaves = await on.db.query<{ eventId: string; sealedAt: Date }>(
    `SELECT l."eventId", (SELECT min(c."signedAt") FROM log_checkpoints c WHERE c."organizationId" = l."organizationId" AND c."treeSize" > l."leafIndex") AS "sealedAt"
     FROM log_leaves l WHERE l."organizationId" = $1`,
    [`${ORG}-load`],
  );
  const latencies = leaves.map((l) => l.sealedAt.getTime() - (publishedAt.get(l.eventId) as number)).sort((a, b) => a - b);
  const publishLag = (Date.now() - t0) / 1000;
  results.figure('accept → sealed p50', percentile(latencies, 50) / 1000, 's');
  results.figure('accept → sealed p99', percentile(latencies, 99) / 1000, 's');
  console.log(
    `2. accept → sealed     ${fmt(sustained.length)} events at ${RATE}/s for ${SECONDS} s (published in ${publishLag.toFixed(1)} s): p50 ${(percentile(latencies, 50) / 1000).toFixed(2)} s  p99 ${(percentile(latencies, 99) / 1000).toFixed(2)} s (target p99 ≤ 10 s; SEAL_INTERVAL 1s)`,
  );

  // 3. Proof API p95 beside /healthz, on the query service.
  const query = await startService('query', { ...on.env, AUTH_JWT_SECRET: SECRET, AUDIT_READS: 'false' });
  on.services.push(query);
  const tokens = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
  const token = await tokens.sign({ organizationId: ORG, role: 'admin', userId: 'bench' }, 3600);
  const time = async (url: string, headers: Record<string, string> = {}): Promise<number> => {
    const s = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    return performance.now() - s;
  };
  const proofTimes: number[] = [];
  const healthTimes: number[] = [];
  for (let i = 0; i < PROOFS; i++) {
    const id = events[Math.floor(Math.random() * events.length)].id;
    proofTimes.push(await time(`${query.url}/v1/events/${id}/proof`, { authorization: `Bearer ${token}` }));
    healthTimes.push(await time(`${query.url}/healthz`));
  }
  proofTimes.sort((a, b) => a - b);
  healthTimes.sort((a, b) => a - b);
  results.figure('proof API p95', Math.round(percentile(proofTimes, 95) * 10) / 10, 'ms', { name: 'GET /healthz p95', value: Math.round(percentile(healthTimes, 95) * 10) / 10, unit: 'ms' });
  console.log(
    `3. proof API           p50 ${percentile(proofTimes, 50).toFixed(1)} ms  p95 ${percentile(proofTimes, 95).toFixed(1)} ms  (GET /healthz p95 ${percentile(healthTimes, 95).toFixed(1)} ms; ${PROOFS} sequential, tree of ${fmt(events.length)}; target ≤ 20 ms at 10M)`,
  );

  // 4. Offline verification of a bundle export of every event.
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-bundle-'));
  try {
    on.services.push(await startService('exporter', { ...on.env, EXPORT_DIR: dir, EXPORT_POLL_INTERVAL: '200ms' }));
    const jobId = randomUUID();
    await on.db.query(`INSERT INTO export_jobs (id, "organizationId", "requestedBy", filters, format) VALUES ($1, $2, 'bench', '{}', 'bundle')`, [jobId, ORG]);
    const [job] = await waitFor(
      'the bundle export',
      async () => {
        const rows = await on.db.query<{ status: string; storageKey: string; error: string | null }>(`SELECT status, "storageKey", error FROM export_jobs WHERE id = $1`, [jobId]);
        return rows[0]?.status === 'ready' || rows[0]?.status === 'failed' ? rows : undefined;
      },
      600_000,
      500,
    );
    if (job.status !== 'ready') throw new Error(`the bundle export failed: ${job.error}`);
    const file = path.join(dir, job.storageKey);
    const read = async (onLine: (line: string) => void): Promise<number> => {
      const s = performance.now();
      for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })) onLine(line);
      return (performance.now() - s) / 1000;
    };
    const parseOnly = await read((line) => void JSON.parse(line));
    const started = performance.now();
    const report = await verifyBundleFile(file, [parseVerifierKey(KEY.verifierKey)]);
    const verifySeconds = (performance.now() - started) / 1000;
    results.figure('verify export', Math.round(events.length / verifySeconds), 'events/s', { name: 'gunzip + JSON.parse alone', value: Math.round(events.length / parseOnly), unit: 'events/s' });
    if (!report.ok || report.counts.verified + report.counts.erased !== events.length) throw new Error(`the bundle did not verify: ${JSON.stringify(report.counts)}`);
    console.log(
      `4. verify export       ${fmt(events.length / verifySeconds)} events/s (${fmt(events.length)} in ${verifySeconds.toFixed(2)} s; gunzip + JSON.parse alone ${fmt(events.length / parseOnly)} events/s; target ≥ 200k)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 5. Storage the log adds per event.
  const [sizes] = await on.db.query<{ log: string; events: string; n: string }>(
    `SELECT pg_total_relation_size('log_leaves') + pg_total_relation_size('log_nodes') + pg_total_relation_size('log_checkpoints') + pg_total_relation_size('log_trees') AS log,
            (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_trail_events'::regclass) AS events,
            (SELECT count(*) FROM log_leaves) AS n`,
  );
  const n = Number(sizes.n);
  results.figure('storage the log adds per event', Math.round(Number(sizes.log) / n), 'B', { name: 'audit_trail_events per event', value: Math.round(Number(sizes.events) / n), unit: 'B' });
  console.log(`5. storage per event   log ${(Number(sizes.log) / n).toFixed(0)} B  (audit_trail_events ${(Number(sizes.events) / n).toFixed(0)} B; ${fmt(n)} events)`);
  await teardown(on);
  const { note } = load.stop();
  console.log(note);
  results.note(note);
  results.write();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
