/**
 * npm run bench:nats-cost — what nats-server's own CPU per event is spent on (issues 16, 18).
 *
 * Each scenario runs on a fresh `nats-server -js` (with a monitoring port) and AUDIT_EVENTS as this platform
 * provisions it: BENCH_EVENTS events (default 60000) are published as ingest publishes them (one JetStream
 * publish per event with its Nats-Msg-Id, pipelined), then each consumer of the scenario takes them all, one
 * after the other, shaped as the platform's batch consumer shapes its pulls (max_messages, expires, idle
 * heartbeat, max_ack_pending, ack wait) and acking as the scenario says. For the publish and for each consumer
 * it prints nats-server's CPU µs per event (/proc) and the protocol messages in and out per event (/varz).
 * One thing varies at a time from the "sealer" shape. BENCH_SCENARIOS=name;name picks some.
 *
 * What it showed (nats-server 2.9.10, 60k events, load ~10): the bus costs a few µs per event whatever the
 * platform's settings (publish 7-9 µs with or without consumers, dedup window or per-organization subjects;
 * a consumer 6.5 µs acking each message, 4 acking per batch, 3 without acks, +2 per working()), but a
 * consumer filtered on audit.events.> (the whole stream) makes every consumer info walk the stream: a
 * sealer-paced consumer went from 9 to 58 µs per event with its info asked every 100 ms, 10 without the
 * filter. bench:seal-cpu, the sealer before and after its durable lost that filter, alternated: nats-server
 * 89.5 / 54.3 µs per event before, 13.7 / 9.0 after; sealing 60k took 16.1 / 19.3 s before, 3.8 / 8.1 s after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AckPolicy, DeliverPolicy, jetstreamManager, jetstream, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { demoEvents } from '@audit/cli';
import { validateBatch } from '@audit/contracts';
import { eventsSubject, readMessagingConfig, streamConfigs, STREAMS } from '@audit/messaging';
import { PipelinedPublisher } from '@audit/jetstream-publish';
import { freePort } from '@audit/embedded';
import { cpuSecondsOfPid, watchMachineLoad } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 60_000);
const ORGS = Number(process.env.BENCH_ORGS ?? 4);

interface ConsumerShape {
  name: string;
  /** Messages handed over per batch (the consumer's maxBatchMessages). */
  batch: number;
  /** Pull size (nats.js consume max_messages): the platform asks batch × (in-flight + 1). */
  pull: number;
  expiresMs: number;
  heartbeatMs: number;
  maxAckPending: number;
  ackWaitMs: number;
  ack: 'each' | 'all' | 'none';
  /** working() signals sent per message before its ack (a batch held past a third of the ack wait). */
  working: number;
  /**
   * Time each batch is held before it is settled, one batch at a time (a consumer slower than the bus, as the
   * sealer is); while held, messages received at least a third of the ack wait ago get working() every third
   * of it, as WorkInProgress sends them. 0: settled as soon as cut.
   */
  holdMs?: number;
  /** Asks the consumer's info this often while it runs (as waitForConsumerIdle and the sealer's passes do); 0: never. */
  pollMs?: number;
  /** No filter_subject (the whole stream) instead of audit.events.>, which is the stream's only subject anyway. */
  noFilter?: boolean;
}

interface Scenario {
  name: string;
  dedupWindowMs?: number;
  /** Publish everything on one subject instead of audit.events.<org>.<action>. */
  oneSubject?: boolean;
  /** Consumers created before the publish (as they are in the platform), then run one after the other. */
  consumers: ConsumerShape[];
}

// The sealer's: 5000 per batch, 4 in flight, max_ack_pending 5000 × 6, ack wait 30 s, acks one by one.
const SEALER: ConsumerShape = { name: 'sealer', batch: 5000, pull: 25_000, expiresMs: 5_000, heartbeatMs: 1_000, maxAckPending: 30_000, ackWaitMs: 30_000, ack: 'each', working: 0 };
const WRITER: ConsumerShape = { ...SEALER, name: 'writer', batch: 1000, pull: 5000, maxAckPending: 6000, ackWaitMs: 5_000 };
const PROJECTOR: ConsumerShape = { ...SEALER, name: 'projector', batch: 20_000, pull: 60_000, maxAckPending: 80_000, ackWaitMs: 5_000 };

const SCENARIOS: Scenario[] = [
  { name: 'publish only', consumers: [] },
  { name: 'sealer shape', consumers: [SEALER] },
  { name: '3 consumers', consumers: [WRITER, PROJECTOR, SEALER] },
  { name: 'dedup window 100ms', dedupWindowMs: 100, consumers: [SEALER] },
  { name: 'one subject', oneSubject: true, consumers: [SEALER] },
  { name: 'ack none', consumers: [{ ...SEALER, ack: 'none' }] },
  { name: 'ack all per batch', consumers: [{ ...SEALER, ack: 'all' }] },
  { name: 'max_ack_pending 1000', consumers: [{ ...SEALER, maxAckPending: 1000, pull: 1000, batch: 1000 }] },
  { name: 'max_ack_pending 6000', consumers: [{ ...SEALER, maxAckPending: 6000, pull: 5000, batch: 1000 }] },
  { name: 'pull 1000', consumers: [{ ...SEALER, pull: 1000, batch: 1000 }] },
  { name: 'expires 30s hb 15s', consumers: [{ ...SEALER, expiresMs: 30_000, heartbeatMs: 15_000 }] },
  { name: 'one working() each', consumers: [{ ...SEALER, working: 1 }] },
  // A sealer-paced consumer: 5000 a batch held 1.5 s (about 3,300 events/s), the info asked every 100 ms.
  { name: 'slow', consumers: [{ ...SEALER, holdMs: 1500 }] },
  { name: 'slow + info 100ms', consumers: [{ ...SEALER, holdMs: 1500, pollMs: 100 }] },
  { name: 'slow + info 100ms, no filter', consumers: [{ ...SEALER, holdMs: 1500, pollMs: 100, noFilter: true }] },
  { name: 'slow map 6000', consumers: [{ ...SEALER, holdMs: 300, batch: 1000, pull: 5000, maxAckPending: 6000 }] },
  { name: 'slow ack all', consumers: [{ ...SEALER, holdMs: 1500, ack: 'all' }] },
];

function makeEvents(): Array<{ subject: string; id: string; body: string }> {
  const now = new Date();
  const all: Array<{ subject: string; id: string; body: string }> = [];
  for (let o = 0; o < ORGS; o++) {
    const inputs = demoEvents(o === 0 ? 'bench-nats' : `bench-nats-${o + 1}`, Math.ceil(N / ORGS), { now, spanMs: 3_600_000, seed: o + 7 });
    for (let i = 0; i < inputs.length; i += 1000) {
      const result = validateBatch(inputs.slice(i, i + 1000), { now });
      if (!result.ok) throw new Error('demo events are not valid');
      for (const e of result.events) all.push({ subject: eventsSubject(e.organizationId, e.actionType), id: e.id, body: JSON.stringify(e) });
    }
  }
  return all.slice(0, N).sort((a, b) => a.id.localeCompare(b.id));
}

interface Server {
  url: string;
  pid: number;
  varz: () => Promise<{ in_msgs: number; out_msgs: number }>;
  stop: () => Promise<void>;
}

async function startServer(): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nats-cost-'));
  const [port, http] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port), '-m', String(http)], { stdio: 'ignore' });
  const varz = async () => (await (await fetch(`http://127.0.0.1:${http}/varz`)).json()) as { in_msgs: number; out_msgs: number };
  for (let i = 0; ; i++) {
    try {
      await varz();
      break;
    } catch {
      if (i > 100) throw new Error('nats-server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid as number,
    varz,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function measure(server: Server, work: () => Promise<void>): Promise<{ us: number; inPer: number; outPer: number; seconds: number }> {
  const v0 = await server.varz();
  const c0 = cpuSecondsOfPid(server.pid);
  const t0 = performance.now();
  await work();
  const seconds = (performance.now() - t0) / 1000;
  const c1 = cpuSecondsOfPid(server.pid);
  const v1 = await server.varz();
  return { us: ((c1 - c0) * 1e6) / N, inPer: (v1.in_msgs - v0.in_msgs) / N, outPer: (v1.out_msgs - v0.out_msgs) / N, seconds };
}

async function consumeAll(js: ReturnType<typeof jetstream>, jsm: Awaited<ReturnType<typeof jetstreamManager>>, shape: ConsumerShape): Promise<void> {
  const consumer = await js.consumers.get(STREAMS.events, shape.name);
  let seen = 0;
  let settledCount = 0;
  let batch: JsMsg[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const settle = (messages: JsMsg[]) => {
    for (let w = 0; w < shape.working; w++) for (const m of messages) m.working();
    if (shape.ack === 'each') for (const m of messages) m.ack();
    else if (shape.ack === 'all') messages[messages.length - 1].ack();
    settledCount += messages.length;
    if (settledCount >= N) done();
  };
  // Batches cut and waiting (or being held), each with the time its first message came.
  const held: Array<{ messages: JsMsg[]; since: number }> = [];
  let holding = false;
  const next = (): void => {
    if (holding || held.length === 0) return;
    holding = true;
    setTimeout(() => {
      const first = held.shift() as { messages: JsMsg[] };
      settle(first.messages);
      holding = false;
      next();
    }, shape.holdMs ?? 0);
  };
  let current = { messages: [] as JsMsg[], since: 0 };
  const cut = (): void => {
    if (batch.length === 0) return;
    current.messages = batch;
    held.push(current);
    batch = [];
    current = { messages: batch, since: 0 };
    next();
  };
  const interval = Math.max(250, Math.floor(shape.ackWaitMs / 3));
  const working = setInterval(() => {
    const due = Date.now() - interval;
    for (const h of [...held, current]) if (h.since > 0 && h.since <= due) for (const m of h.messages) m.working();
  }, interval);
  const poll = shape.pollMs ? setInterval(() => void jsm.consumers.info(STREAMS.events, shape.name).catch(() => undefined), shape.pollMs) : undefined;
  let timer: NodeJS.Timeout | undefined;
  const messages = await consumer.consume({
    max_messages: shape.pull,
    expires: shape.expiresMs,
    idle_heartbeat: shape.heartbeatMs,
    callback: (m) => {
      if (batch.length === 0) current.since = Date.now();
      batch.push(m);
      current.messages = batch;
      seen++;
      clearTimeout(timer);
      if (batch.length >= shape.batch || seen === N) cut();
      else timer = setTimeout(cut, 500);
    },
  });
  await finished;
  clearInterval(working);
  clearInterval(poll);
  // Until the server has every ack (so their cost lands in this measurement).
  for (;;) {
    const info = await consumer.info();
    if (info.num_ack_pending === 0 || shape.ack === 'none') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await messages.close();
}

async function run(scenario: Scenario, events: ReturnType<typeof makeEvents>): Promise<void> {
  const server = await startServer();
  const nc = await connect({ servers: server.url });
  try {
    const jsm = await jetstreamManager(nc);
    const config = readMessagingConfig({ ...(scenario.dedupWindowMs !== undefined ? { STREAM_DEDUP_WINDOW: `${scenario.dedupWindowMs}ms` } : {}) });
    for (const stream of streamConfigs(config)) {
      await jsm.streams.add(stream);
    }
    for (const c of scenario.consumers) {
      await jsm.consumers.add(STREAMS.events, {
        durable_name: c.name,
        ack_policy: c.ack === 'each' ? AckPolicy.Explicit : c.ack === 'all' ? AckPolicy.All : AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(c.ackWaitMs),
        max_ack_pending: c.maxAckPending,
        ...(c.noFilter ? {} : { filter_subject: 'audit.events.>' }),
        max_deliver: -1,
      });
    }
    const publisher = new PipelinedPublisher(nc, { timeoutMs: 30_000 });
    const pub = await measure(server, async () => {
      // As ingest does: a window of publishes in flight, each with the event id as Nats-Msg-Id.
      for (let i = 0; i < events.length; i += 1000) {
        await Promise.all(events.slice(i, i + 1000).map((e) => publisher.publish(scenario.oneSubject ? 'audit.events.one.X' : e.subject, e.body, { msgId: e.id })));
      }
    });
    publisher.close();
    const row = (what: string, m: Awaited<ReturnType<typeof measure>>) =>
      console.log(`${scenario.name.padEnd(22)} ${what.padEnd(10)} nats-server ${m.us.toFixed(1).padStart(6)} µs/event  in ${m.inPer.toFixed(2).padStart(5)} out ${m.outPer.toFixed(2).padStart(5)} msgs/event  (${m.seconds.toFixed(1)} s)`);
    row('publish', pub);
    const js = jetstream(nc);
    for (const c of scenario.consumers) row(c.name, await measure(server, () => consumeAll(js, jsm, c)));
  } finally {
    await nc.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const load = watchMachineLoad();
  const events = makeEvents();
  const only = process.env.BENCH_SCENARIOS?.split(';');
  console.log(`${events.length} events over ${ORGS} organizations, ${Math.round(events.reduce((s, e) => s + e.body.length, 0) / events.length)} bytes each on average`);
  for (const scenario of SCENARIOS) if (!only || only.includes(scenario.name)) await run(scenario, events);
  console.log(load.stop().note);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
