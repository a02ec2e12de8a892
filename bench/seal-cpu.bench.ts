/**
 * npm run bench:seal-cpu — the sealer's own CPU per event, alone: BENCH_EVENTS events (default 50000, over
 * BENCH_ORGS organizations, default 4) are published first, then a sealer starts on the full stream and
 * seals them; its process's CPU (JavaScript thread and helper threads apart, /proc), its Postgres
 * backends' and the run's own nats-server's CPU per event (deliveries, acks, working() signals) are printed. With BENCH_BASELINE (a commit) the sealer of that commit runs over
 * the same events too, on its own bus and database, the two alternating BENCH_ROUNDS times (default 2) so
 * both see the same machine. BENCH_PROFILE=<dir> runs each sealer under `node --cpu-prof` into that
 * directory (the profile is written when it stops); BENCH_NODE_ARGS and BENCH_BASELINE_NODE_ARGS give each its node options,
 * BENCH_ENV and BENCH_BASELINE_ENV its extra environment (NAME=value, space-separated). Quicker to iterate on than bench:seal, whose
 * pipeline figure mixes in the writer.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { demoEvents } from '@audit/cli';
import { validateBatch, type AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { connectTestBus, createTestDatabase, startService, startTestNats, waitForConsumerIdle } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';
import { baselineCheckout, type BaselineCheckout } from './baseline';
import { cpuSecondsByPid, cpuSecondsByThread, cpuSecondsOfPid, secondsBetween, watchMachineLoad } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const ORGS = Number(process.env.BENCH_ORGS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BASELINE = process.env.BENCH_BASELINE;
const PROFILE = process.env.BENCH_PROFILE;
/** Node options for each sealer (e.g. a heap setting to try), BENCH_NODE_ARGS for this checkout's, BENCH_BASELINE_NODE_ARGS for the baseline's; space-separated. */
const nodeArgsOf = (variable: string): string[] => (process.env[variable] ?? '').split(' ').filter((a) => a.length > 0);
/** Extra environment for each sealer (e.g. SEALER_BATCH_SIZE=5000), BENCH_ENV for this checkout's, BENCH_BASELINE_ENV for the baseline's; space-separated NAME=value. */
const envOf = (variable: string): Record<string, string> => Object.fromEntries(nodeArgsOf(variable).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const KEY = generateNoteKey('bench');

function makeEvents(): AuditEvent[] {
  const now = new Date();
  const all: AuditEvent[] = [];
  for (let o = 0; o < ORGS; o++) {
    const inputs = demoEvents(o === 0 ? 'bench-seal' : `bench-seal-${o + 1}`, Math.ceil(N / ORGS), { now, spanMs: 3_600_000, seed: o + 7 });
    for (let i = 0; i < inputs.length; i += 1000) {
      const result = validateBatch(inputs.slice(i, i + 1000), { now });
      if (!result.ok) throw new Error('demo events are not valid');
      all.push(...result.events);
    }
  }
  // Interleaved as many organizations' traffic arrives, so a batch holds several logs' events.
  return all.slice(0, N).sort((a, b) => a.id.localeCompare(b.id));
}

interface Figures {
  main: number;
  helpers: number;
  postgres: number;
  natsServer: number;
  seconds: number;
}

/** Publishes `events` on a fresh bus, then seals them with the sealer of `root`; CPU µs per event. */
async function sealOnce(label: string, events: readonly AuditEvent[], root: string | undefined, nodeArgs: readonly string[], extraEnv: Record<string, string>): Promise<Figures> {
  const [nats, db] = await Promise.all([startTestNats(), createTestDatabase('audit_bench_sealcpu')]);
  const bus = await connectTestBus(nats.url);
  try {
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'error', SEAL_PRIVATE_KEY: KEY.signerKey, SEAL_INTERVAL: '1s', ...extraEnv };
    // A first start provisions the streams, the consumer and the schema, so the measured one only seals.
    await (await startService('sealer', env, 60_000, root)).stop();
    for (let i = 0; i < events.length; i += 1000) {
      await Promise.all(events.slice(i, i + 1000).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
    }
    const profileDir = PROFILE ? path.resolve(PROFILE, label) : undefined;
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    // Postgres backends of this database only: other benches may share the server.
    const backends = new RegExp(`postgres: .*${db.name} `);
    const service = await startService('sealer', env, 60_000, root, [...nodeArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])]);
    const pid = service.process.pid as number;
    const pg0 = cpuSecondsByPid(backends);
    const nats0 = cpuSecondsOfPid(nats.pid);
    const cpu0 = cpuSecondsByThread(pid);
    const t0 = performance.now();
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'sealer', 1_800_000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuSecondsByThread(pid);
    const postgres = secondsBetween(pg0, cpuSecondsByPid(backends));
    // This run's own nats-server: its deliveries, acks and working() signals to the sealer, nobody else's.
    const natsServer = cpuSecondsOfPid(nats.pid) - nats0;
    const [leaves] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_leaves');
    if (leaves.n !== events.length) throw new Error(`${label}: the sealer appended ${leaves.n} of ${events.length} events`);
    await service.stop();
    const per = (s: number) => (s * 1e6) / events.length;
    return { main: per(cpu1.main - cpu0.main), helpers: per(cpu1.helpers + cpu1.named - cpu0.helpers - cpu0.named), postgres: per(postgres), natsServer: per(natsServer), seconds };
  } finally {
    await bus.close();
    await nats.destroy();
    await db.drop();
  }
}

const show = (label: string, f: Figures) =>
  `${label.padEnd(22)} sealer JS thread ${f.main.toFixed(1).padStart(6)} µs  helper threads ${f.helpers.toFixed(1).padStart(5)} µs  ` +
  `process ${(f.main + f.helpers).toFixed(1).padStart(6)} µs  its Postgres backends ${f.postgres.toFixed(1).padStart(6)} µs  nats-server ${f.natsServer.toFixed(1).padStart(5)} µs per event  (${f.seconds.toFixed(1)} s)`;

async function main(): Promise<void> {
  const load = watchMachineLoad();
  const events = makeEvents();
  console.log(`${events.length} events over ${ORGS} organizations, published before the sealer starts; ${ROUNDS} round(s)`);
  let baseline: BaselineCheckout | undefined;
  if (BASELINE) baseline = baselineCheckout(BASELINE);
  if (baseline) console.log(`baseline ${baseline.label}; node options: this ${JSON.stringify(nodeArgsOf('BENCH_NODE_ARGS'))}, baseline ${JSON.stringify(nodeArgsOf('BENCH_BASELINE_NODE_ARGS'))}; environment: this ${JSON.stringify(envOf('BENCH_ENV'))}, baseline ${JSON.stringify(envOf('BENCH_BASELINE_ENV'))}`);
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which goes first, so neither always meets the machine in the same state.
      const order = round % 2 === 1 ? (['this', 'baseline'] as const) : (['baseline', 'this'] as const);
      for (const which of order) {
        if (which === 'baseline' && baseline === undefined) continue;
        const label = which === 'this' ? `this checkout` : `sealer of ${baseline?.label}`;
        console.log(show(`${label} #${round}`, await sealOnce(`${which}-${round}`, events, which === 'this' ? undefined : baseline?.root, nodeArgsOf(which === 'this' ? 'BENCH_NODE_ARGS' : 'BENCH_BASELINE_NODE_ARGS'), envOf(which === 'this' ? 'BENCH_ENV' : 'BENCH_BASELINE_ENV'))));
      }
    }
  } finally {
    baseline?.cleanup();
  }
  console.log(load.stop().note);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
