/**
 * npm run bench:sealer — what the sealer costs, beside the writer on the same events in the same run.
 * Each phase gets a fresh nats-server and database; the services run as their own processes (as
 * deployed) and BENCH_EVENTS canonical events (default 20000; realistic ones from the demo generator,
 * over BENCH_ORGS organizations, default 4) are published onto AUDIT_EVENTS once they are ready.
 *  1. writer alone: events/s from the first publish until its consumer has acked everything, and its
 *     process's CPU per event (the baseline: the pipeline without the sealer);
 *  2. sealer alone: the same figures for the sealer (appends, and the checkpoints it signs meanwhile);
 *  3. writer and sealer together, as the platform runs them: the writer's rate beside phase 1's
 *     ("pipeline with the sealer on / off"), and the sealer's.
 * CPU is each process's own (/proc/<pid>/stat), so it stays meaningful on a shared machine.
 */
import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { demoEvents } from '@audit/cli';
import { validateBatch, type AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { connectTestBus, createTestDatabase, startService, startTestNats, waitForConsumerIdle, type RunningService } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';
import { waitForQuietMachine } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const ORGS = Number(process.env.BENCH_ORGS ?? 4);
const TICKS = Number(execSync('getconf CLK_TCK').toString().trim());
const SEAL_KEY = generateNoteKey('bench').signerKey;

/** CPU seconds (user + system) of one process so far. */
function cpuOf(service: RunningService): number {
  const fields = readFileSync(`/proc/${service.process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function makeEvents(): AuditEvent[] {
  const now = new Date();
  const inputs = Array.from({ length: ORGS }, (_, o) => demoEvents(`bench-org-${o}`, Math.ceil(N / ORGS), { now, spanMs: 3_600_000, seed: o + 1 })).flat().slice(0, N);
  const events: AuditEvent[] = [];
  for (let i = 0; i < inputs.length; i += 1000) {
    const result = validateBatch(inputs.slice(i, i + 1000), { now });
    if (!result.ok) throw new Error(`demo events are not valid: ${JSON.stringify(result.errors.slice(0, 3))}`);
    events.push(...result.events);
  }
  return events;
}

type Figures = { service: string; seconds: number; perSecond: number; cpuMicrosPerEvent: number };

async function phase(name: string, apps: Array<'writer' | 'sealer'>, events: readonly AuditEvent[]): Promise<Figures[]> {
  // Other work on a shared machine skews CPU less than wall time; wait a little for it, not for ever.
  await waitForQuietMachine(0.3, 3, 60);
  const [nats, db] = await Promise.all([startTestNats(), createTestDatabase('audit_bench_sealer')]);
  const services: RunningService[] = [];
  try {
    for (const app of apps) {
      services.push(await startService(app, { DATABASE_URL: db.url, NATS_URL: nats.url, LOG_LEVEL: 'error', SEAL_PRIVATE_KEY: SEAL_KEY, SEAL_INTERVAL: '1s' }));
    }
    const bus = await connectTestBus(nats.url);
    const cpu0 = services.map(cpuOf);
    const t0 = performance.now();
    // Published in windows of 1000 acks, as fast as the server takes them.
    for (let i = 0; i < events.length; i += 1000) {
      await Promise.all(events.slice(i, i + 1000).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
    }
    const figures = await Promise.all(
      apps.map(async (app, i) => {
        await waitForConsumerIdle(bus.jsm, STREAMS.events, app, 600_000);
        const seconds = (performance.now() - t0) / 1000;
        return { service: app, seconds, perSecond: events.length / seconds, cpuMicrosPerEvent: ((cpuOf(services[i]) - cpu0[i]) * 1e6) / events.length };
      }),
    );
    if (apps.includes('sealer')) {
      const [leaves] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_leaves');
      if (leaves.n !== events.length) throw new Error(`the sealer appended ${leaves.n} of ${events.length} events`);
    }
    await bus.close();
    for (const f of figures) console.log(`${name.padEnd(24)} ${f.service.padEnd(7)} ${Math.round(f.perSecond).toLocaleString('en-US').padStart(8)} events/s  ${f.cpuMicrosPerEvent.toFixed(0).padStart(5)} µs CPU/event  (${f.seconds.toFixed(1)} s)`);
    return figures;
  } finally {
    for (const s of services) await s.stop();
    await nats.destroy();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const events = makeEvents();
  console.log(`${events.length} events over ${ORGS} organizations`);
  const [writerAlone] = await phase('writer alone (baseline)', ['writer'], events);
  await phase('sealer alone', ['sealer'], events);
  const together = await phase('writer + sealer', ['writer', 'sealer'], events);
  const writerWith = together.find((f) => f.service === 'writer') as Figures;
  console.log(`pipeline (writer's rate) with the sealer on / off: ${(writerWith.perSecond / writerAlone.perSecond).toFixed(2)}×`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
