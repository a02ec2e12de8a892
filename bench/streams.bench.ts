/**
 * npm run bench:streams — the streams service (its own process, as deployed) delivering BENCH_STREAM_EVENTS
 * events (default 1,000,000) already in AUDIT_EVENTS to one stream per destination type, each against a
 * receiver in this process, beside the raw baseline measured in the same run: the same batches (1000
 * records; S3: 10,000-record gzip'd objects) sent to the same receiver by a plain sequential loop, both timed
 * at the receiver from the first event it got to the last (see Arrivals; the stream's start-up is the time to
 * its first event, and its rate from its creation is given beside). Then the
 * bus floor measured in the same run (see BusFloor: a bare pull consumer with a stream worker's settings taking
 * the same events off AUDIT_EVENTS and doing nothing, the rate no consumer of per-event bus messages beats here),
 * and the ratio of each to the raw loop. Then the
 * lag drain after a receiver outage of BENCH_STREAM_OUTAGE (default 5m; BENCH_STREAM_OUTAGE_EVENTS arrive
 * during it, default 200,000), and the cost of 100 paused + 10 active streams on one replica against none
 * (CPU and memory over 20 s). Each delivery line also gives the time to the first event delivered, nats-server's
 * CPU per event, and the service main thread's seconds on a core and waiting for one (on a loaded machine the
 * wait, not the work, sets the rate). BENCH_STREAM_STEADY (default 60s, false skips) runs an S3 stream at a
 * steady 1,000 events/s into 60 s slices and prints the service's and nats-server's CPU (the cost of keeping
 * held events alive). BENCH_STREAM_DESTINATIONS=webhook,syslog,… runs some destinations only;
 * BENCH_PROFILE_DIR=<dir> has the service write a CPU profile there when it stops, BENCH_STREAM_NODE_ARGS gives it
 * more node flags (--trace-gc, say, with BENCH_STREAM_LOG=<file> to keep its output); BENCH_STREAM_SERVICE_ROOT=<checkout>
 * runs the service from another checkout (a baseline, in the same run's conditions); BENCH_STREAM_IDLE=false skips
 * the idle cost.
 * Run it as `flock /tmp/audit-bench.lock npm run bench:streams` so benchmarks never overlap.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, connect as tcpConnect, type Server } from 'node:net';
import { hostname, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { SignJWT } from 'jose';
import S3rver from 's3rver';
import { uuidv7, type AuditEvent, type Destination } from '@audit/contracts';
import { decodeCanonicalMessage, envelopeOf, eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { datadogMessage, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import { batchShape, streamFilterSubject, syslogFrame } from '@audit/streams';
import { BenchResults } from './results';
import { connectTestBus, createTestDatabase, freePort, startService, startTestNats, waitFor, type TestBus } from '@audit/testing';

const EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 1_000_000);
/** BENCH_STREAM_OUTAGE=false skips the outage (a delivery-rate run takes minutes instead of the outage's five). */
const OUTAGE_MS = process.env.BENCH_STREAM_OUTAGE === 'false' ? 0 : durationMs(process.env.BENCH_STREAM_OUTAGE ?? '5m');
const OUTAGE_EVENTS = Number(process.env.BENCH_STREAM_OUTAGE_EVENTS ?? Math.min(200_000, EVENTS));
/** BENCH_STREAM_STEADY: how long an S3 stream takes 1,000 events/s into 60 s slices (default 60s; false skips). */
const STEADY_MS = process.env.BENCH_STREAM_STEADY === 'false' ? 0 : durationMs(process.env.BENCH_STREAM_STEADY ?? '60s');

/** `300`, `300s`, `5m` or `1h` as milliseconds. */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`BENCH_STREAM_OUTAGE and BENCH_STREAM_STEADY must be durations such as 300s or 5m (got ${text})`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}
/**
 * The node options the checkout's Kubernetes manifest runs the streams with (`NODE_OPTIONS` in
 * k8s/base/streams.yaml: the young generation's size), so the service is measured as it is deployed, and a
 * baseline checkout as it was.
 */
function deployedNodeOptions(root: string): string[] {
  const manifest = readFileSync(path.join(root, 'k8s/base/streams.yaml'), 'utf8');
  const m = /- name: NODE_OPTIONS\s+value: "([^"]*)"/.exec(manifest);
  return m ? m[1].split(/\s+/).filter(Boolean) : [];
}
const load = (): string => `load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`;
const SECRET = 'bench-streams-secret-bench-streams-secret';
const ID = /"id":"([0-9a-f-]{36})"/g;
const SYSLOG_ID = /id="([0-9a-f-]{36})"/g;

/**
 * When each receiver (an HTTP path, a syslog socket, an S3 prefix) got new events: its first arrival and how
 * many events that brought, its latest, and the total. A delivery is timed between its first and its last
 * arrival at the receiver, the stream's and the raw loop's alike: the stream's start (the API call, the
 * runner's refresh, the consumer's creation, the first pull and decode) is reported apart as the time to its
 * first event, and neither end waits for a poll (a look every 250 ms added up to a quarter of a second to
 * runs of 1-3 s, to the stream only).
 */
class Arrivals {
  /**
   * Arrivals a receiver must have had for its rate between the first and the last to count: a stream builds
   * the next batches while its first is on the way (up to two ahead), work the time after the first arrival
   * does not see, so between few arrivals (S3's ten objects of 100,000 events) that time flatters it. Below
   * this, the rates compared are from the stream's creation and the loop's start.
   */
  static readonly ENOUGH = 50;
  private readonly byKey = new Map<string, { first: number; firstEvents: number; last: number; events: number; arrivals: number }>();

  add(key: string, events: number, at = performance.now()): void {
    if (events <= 0) return;
    const arrival = this.byKey.get(key);
    if (!arrival) this.byKey.set(key, { first: at, firstEvents: events, last: at, events, arrivals: 1 });
    else {
      arrival.last = at;
      arrival.events += events;
      arrival.arrivals++;
    }
  }

  first(key: string): number | undefined {
    return this.byKey.get(key)?.first;
  }

  last(key: string): number | undefined {
    return this.byKey.get(key)?.last;
  }

  /** The events after the first arrival over the seconds from the first arrival to the last; undefined below {@link ENOUGH} arrivals. */
  window(key: string): { events: number; seconds: number; rate: number; arrivals: number } | undefined {
    const arrival = this.byKey.get(key);
    if (!arrival || arrival.arrivals < Arrivals.ENOUGH || arrival.last <= arrival.first) return undefined;
    const events = arrival.events - arrival.firstEvents;
    const seconds = (arrival.last - arrival.first) / 1000;
    return { events, seconds, rate: events / seconds, arrivals: arrival.arrivals };
  }

  clear(): void {
    this.byKey.clear();
  }
}

/** Counts the distinct event ids each path received (HTTP), or the syslog socket received. */
class Receivers {
  readonly ids = new Map<string, Set<string>>();
  readonly arrivals = new Arrivals();
  status = 200;
  http?: ReturnType<typeof createServer>;
  syslog?: Server;
  rawSyslog?: Server;
  httpPort = 0;
  syslogPort = 0;
  rawSyslogPort = 0;

  private count(key: string, text: string, pattern: RegExp): void {
    let set = this.ids.get(key);
    if (!set) this.ids.set(key, (set = new Set()));
    const before = set.size;
    for (const m of text.matchAll(pattern)) set.add(m[1]);
    this.arrivals.add(key, set.size - before);
  }

  seen(key: string): number {
    return this.ids.get(key)?.size ?? 0;
  }

  async start(): Promise<void> {
    this.http = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.status === 200) {
          const raw = Buffer.concat(chunks);
          const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          this.count(req.url ?? '/', text, ID);
        }
        res.writeHead(this.status, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.http?.listen(0, '127.0.0.1', () => resolve()));
    this.httpPort = (this.http.address() as { port: number }).port;
    const syslogServer = (key: string): Server =>
      createTcpServer((socket) => {
        socket.on('error', () => undefined);
        let tail = '';
        socket.on('data', (chunk: Buffer) => {
          const text = tail + chunk.toString('utf8');
          // An id split across chunks is counted from the next chunk's start.
          tail = text.slice(-120);
          this.count(key, text, SYSLOG_ID);
        });
      });
    this.syslog = syslogServer('syslog');
    this.rawSyslog = syslogServer('raw-syslog');
    await new Promise<void>((resolve) => this.syslog?.listen(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => this.rawSyslog?.listen(0, '127.0.0.1', () => resolve()));
    this.syslogPort = (this.syslog.address() as { port: number }).port;
    this.rawSyslogPort = (this.rawSyslog.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.http?.closeAllConnections();
    await new Promise<void>((resolve) => this.http?.close(() => resolve()));
    await new Promise<void>((resolve) => this.syslog?.close(() => resolve()));
    await new Promise<void>((resolve) => this.rawSyslog?.close(() => resolve()));
  }
}

function event(org: string, i: number, now: Date): AuditEvent {
  return {
    schemaVersion: 1,
    id: uuidv7(now),
    organizationId: org,
    actionType: i % 3 === 0 ? 'QUERY_RUN' : 'LOGIN',
    userId: `user-${i % 5000}`,
    user: { email: `user-${i % 5000}@example.com`, userName: `User ${i % 5000}` },
    ipAddress: `10.${i % 256}.${(i >> 8) % 256}.7`,
    responseTimeMs: i % 2500,
    pageName: `page-${i % 50}`,
    queryName: i % 3 === 0 ? `getOrders_${i % 200}` : null,
    resourceName: null,
    metadata: i % 3 === 0 ? { query: `select * from orders where id = ${i}`, parameters: [i], headers: { 'user-agent': 'Mozilla/5.0' } } : { via: 'web' },
    createdAt: now.toISOString(),
    receivedAt: now.toISOString(),
  } as AuditEvent;
}

async function publish(bus: TestBus, events: AuditEvent[]): Promise<void> {
  for (let at = 0; at < events.length; at += 2000) {
    await Promise.all(events.slice(at, at + 2000).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
  }
}

const rate = (n: number, seconds: number): string => `${Math.round(n / seconds).toLocaleString('en')} events/s`;
const cpuOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
/** The main thread's seconds on a core and seconds runnable but waiting for one (schedstat): CPU-bound, I/O-bound or starved. */
const mainThreadOf = (pid: number): { ran: number; waited: number } => {
  const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { ran: ran / 1e9, waited: waited / 1e9 };
};
const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
/** The process's peak RSS so far (MB): what a memory limit must leave room for. */
const peakRssOf = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/**
 * The bus floor: how fast any consumer of AUDIT_EVENTS can take a stream's events off the bus on this machine
 * while doing nothing with them. A bare pull consumer with a stream worker's settings (its organization's
 * filter, its batch size, max_ack_pending of 4 batches, a pull of 3 batches, cumulative acks, one ack per
 * batch as soon as the batch is in), in a process of its own as the service is, so that its CPU is its own
 * and the bench's heap of a million events is not in its way. No decode, no check, no request. Run again with
 * `check`, each message also goes through the re-check every stream makes (decodeCanonicalMessage, as
 * StreamWorker.decode calls it): the floor of a consumer that keeps the security model (nothing that did not
 * pass ingest is delivered).
 */
const FLOOR_FLAG = '--bus-floor';
interface FloorRun {
  durable: string;
  filterSubject: string;
  batch: number;
  ackWaitMs: number;
  events: number;
  /** Decode and re-check each message as a stream does (a refused one fails the run: every event is canonical). */
  check: boolean;
}

/** The child's side: connects once, then consumes one run per message from the bench and reports it done. */
async function busFloorConsumer(url: string): Promise<void> {
  const bus = await connectTestBus(url);
  process.on('message', (run: FloorRun) => {
    void floorRun(bus, run).then(
      (windowMs) => process.send?.({ done: run.durable, windowMs }),
      (error: unknown) => process.send?.({ failed: String(error) }),
    );
  });
  process.on('disconnect', () => void bus.close().then(() => process.exit(0)));
  process.send?.({ ready: true });
}

/** Takes the run's events off the bus; answers the milliseconds from the first event in hand to the last (see Arrivals). */
async function floorRun(bus: TestBus, run: FloorRun): Promise<number> {
  await bus.jsm.consumers.add(STREAMS.events, {
    durable_name: run.durable,
    filter_subject: run.filterSubject,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 4 * run.batch,
    ack_wait: nanos(run.ackWaitMs),
    max_deliver: -1,
  });
  const consumer = await bus.js.consumers.get(STREAMS.events, run.durable);
  let received = 0;
  let refused = 0;
  let first = 0;
  let last = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const messages = await consumer.consume({
    max_messages: 3 * run.batch,
    expires: 5_000,
    idle_heartbeat: 1_000,
    callback: (message: JsMsg) => {
      if (run.check) {
        try {
          decodeCanonicalMessage(message.data, envelopeOf(message), false);
        } catch {
          refused++;
        }
      }
      received++;
      if (received === 1) first = performance.now();
      if (received % run.batch === 0 || received >= run.events) message.ack();
      if (received >= run.events) {
        last = performance.now();
        finished();
      }
    },
  });
  await all;
  messages.stop();
  await bus.jsm.consumers.delete(STREAMS.events, run.durable);
  if (refused > 0) throw new Error(`${refused} of the ${run.events} events were refused by the re-check`);
  return last - first;
}

/** The bench's side: the floor consumer's process, and one timed run of it. */
class BusFloor {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid as number;
  }

  static async start(url: string): Promise<BusFloor> {
    const child = fork(path.join(__dirname, '../scripts/run.js'), [path.relative(path.join(__dirname, '..'), __filename), FLOOR_FLAG, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the bus floor consumer exited (${code}) before it was ready`)));
    });
    return new BusFloor(child);
  }

  /** Takes `run.events` off the bus; resolves once every one is in, to the milliseconds from the first in hand to the last. */
  run(run: FloorRun): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const exited = (code: number | null): void => reject(new Error(`the bus floor consumer exited (${code}) during a run`));
      this.child.once('exit', exited);
      this.child.once('message', (reply: { done?: string; windowMs?: number; failed?: string }) => {
        this.child.off('exit', exited);
        if (reply.done) resolve(reply.windowMs as number);
        else reject(new Error(`bus floor: ${reply.failed}`));
      });
      this.child.send(run);
    });
  }

  stop(): void {
    this.child.disconnect();
  }
}

async function main(): Promise<void> {
  const results = new BenchResults('streams');
  process.stdout.write(`[bench:streams] ${load()} at the start (2 shared cores: the figures move with it)\n`);
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench_streams');
  const s3dir = mkdtempSync(path.join(tmpdir(), 'audit-bench-s3-'));
  const s3port = await freePort();
  const s3 = new S3rver({ port: s3port, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: 'bench', configs: [] }] });
  await s3.run();
  const receivers = new Receivers();
  // An object's events by its name (`…-<first seq>-<last seq>.jsonl.gz`, the raw loop's too), as it is stored.
  s3.on('event', (event) => {
    for (const record of event.Records) {
      const m = /^(stream|raw)\/(?:.*-)?(\d+)-(\d+)\.jsonl\.gz$/.exec(record.s3.object.key);
      if (m && record.eventName.startsWith('ObjectCreated')) receivers.arrivals.add(`s3:${m[1]}`, Number(m[3]) - Number(m[2]) + 1);
    }
  });
  const endpoint = `http://127.0.0.1:${s3port}`;
  const s3client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await receivers.start();
  const bus = await connectTestBus(nats.url);
  await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url, STREAM_MAX_AGE: '1d' }));
  // Before the service: a floor consumer that cannot start leaves no service running behind.
  const floor = await BusFloor.start(nats.url);
  const service = await startService('streams', {
    DATABASE_URL: db.url,
    ...nats.env('streams'),
    NATS_PROVISION_STREAMS: 'false',
    AUTH_JWT_SECRET: SECRET,
    STREAMS_ALLOW_PRIVATE_NETWORKS: 'true',
    STREAMS_REFRESH_INTERVAL: '500ms',
    LOG_LEVEL: 'warn',
  }, 60_000, process.env.BENCH_STREAM_SERVICE_ROOT, [
    ...deployedNodeOptions(process.env.BENCH_STREAM_SERVICE_ROOT ?? path.resolve(__dirname, '..')),
    ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
    // More flags for the service alone, to look inside a run (e.g. --trace-gc, with BENCH_STREAM_LOG to keep its output).
    ...(process.env.BENCH_STREAM_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
  ]);
  const pid = service.process.pid as number;
  const api = async (org: string, method: string, at: string, body?: unknown): Promise<{ id: string }> => {
    const token = await new SignJWT({ org, role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    // No Content-Type without a body: the API refuses an empty JSON body (400), which every DELETE here was.
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    const response = await fetch(`${service.url}${at}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!response.ok) throw new Error(`${method} ${at}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
  const http = (p: string) => `http://127.0.0.1:${receivers.httpPort}${p}`;
  try {
    const now = new Date();
    const events = Array.from({ length: EVENTS }, (_, i) => event('bench', i, now));
    let t = performance.now();
    await publish(bus, events);
    process.stdout.write(`[bench:streams] ${EVENTS.toLocaleString('en')} events published in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    const records = events.map((e) => JSON.stringify(e));
    const batches = (size: number) => Array.from({ length: Math.ceil(records.length / size) }, (_, i) => records.slice(i * size, (i + 1) * size));

    const s3seen = new Set<string>();
    const s3ids = new Set<string>();
    const s3count = async (prefix: string): Promise<number> => {
      let token: string | undefined;
      do {
        const listed = await s3client.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: prefix, ContinuationToken: token }));
        for (const { Key } of listed.Contents ?? []) {
          if (!Key || s3seen.has(Key)) continue;
          s3seen.add(Key);
          const bytes = Buffer.from((await (await s3client.send(new GetObjectCommand({ Bucket: 'bench', Key }))).Body?.transformToByteArray()) ?? []);
          const text = bytes[0] === 0x1f ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
          for (const m of text.matchAll(ID)) s3ids.add(m[1]);
        }
        token = listed.NextContinuationToken;
      } while (token);
      return s3ids.size;
    };
    /**
     * Events in the stream's objects by their names alone (`…-<first seq>-<last seq>.jsonl.gz`), one listing per
     * look: how the stream's time ends. Downloading, inflating and scanning each object while the stream runs
     * (as s3count does) took the bench process, which is also the S3 server, away from the stream's next PUT,
     * a cost the raw loop's time never had. The ranges count every event only because nothing but the bench
     * organization's events is in the stream before this phase; s3count checks the ids once the time is taken.
     * Sequences are counted once however many objects cover them: a batch redelivered (an ack wait run out on a
     * loaded machine) may be sent again cut differently, and summing the ranges then counted events twice.
     */
    const s3listed = async (prefix: string): Promise<number> => {
      let token: string | undefined;
      const ranges: Array<[number, number]> = [];
      do {
        const listed = await s3client.send(new ListObjectsV2Command({ Bucket: 'bench', Prefix: prefix, ContinuationToken: token }));
        for (const { Key } of listed.Contents ?? []) {
          const range = /-(\d+)-(\d+)\.jsonl\.gz$/.exec(Key ?? '');
          if (range) ranges.push([Number(range[1]), Number(range[2])]);
        }
        token = listed.NextContinuationToken;
      } while (token);
      ranges.sort((a, b) => a[0] - b[0]);
      let events = 0;
      let covered = 0;
      for (const [first, last] of ranges) {
        if (last > covered) events += last - Math.max(first, covered + 1) + 1;
        covered = Math.max(covered, last);
      }
      return events;
    };

    /** `delivered` ends the stream's time; `verified` (default: `delivered`) must then hold every event id. */
    const destinations: Array<{
      name: string;
      destination: Record<string, unknown>;
      delivered: () => Promise<number> | number;
      /** The receiver's key in `receivers.arrivals` (the stream's), and the raw loop's. */
      key: string;
      rawKey: string;
      verified?: () => Promise<number>;
      raw: () => Promise<void>;
    }> = [
      {
        name: 'webhook',
        destination: { type: 'webhook', url: http('/webhook'), secrets: ['bench-webhook-secret-0123'] },
        delivered: () => receivers.seen('/webhook'),
        key: '/webhook',
        rawKey: '/raw-webhook',
        raw: async () => {
          for (const b of batches(1000)) {
            // Signed as every delivery is (X-Audit-Signature, HMAC-SHA256 over the body).
            const body = `{"events":[${b.join(',')}]}`;
            const signature = webhookSignature(['bench-webhook-secret-0123'], body, Math.floor(Date.now() / 1000));
            await (await fetch(http('/raw-webhook'), { method: 'POST', body, headers: { 'Content-Type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signature } })).text();
          }
        },
      },
      {
        name: 'splunk',
        destination: { type: 'splunk', url: http('/splunk'), token: 'bench-hec-token' },
        delivered: () => receivers.seen('/splunk'),
        key: '/splunk',
        rawKey: '/raw-splunk',
        raw: async () => {
          // The fields each HEC event carries (time from createdAt, host, source, sourcetype), as the stream sends them.
          const fields = `,"host":${JSON.stringify(hostname())},"source":"audit-trail","sourcetype":"audit-trail:event"`;
          for (let i = 0; i < events.length; i += 1000) {
            const body = events.slice(i, i + 1000).map((e, j) => `{"time":${Date.parse(e.createdAt) / 1000}${fields},"event":${records[i + j]}}`).join('\n');
            await (await fetch(http('/raw-splunk'), { method: 'POST', body, headers: { 'Content-Type': 'application/json', Authorization: 'Splunk bench-hec-token' } })).text();
          }
        },
      },
      {
        name: 'datadog',
        destination: { type: 'datadog', url: http('/datadog'), apiKey: 'bench-dd-key' },
        delivered: () => receivers.seen('/datadog'),
        key: '/datadog',
        rawKey: '/raw-datadog',
        raw: async () => {
          // The entries the stream sends (datadogEntry's fields, the record as `audit`), gzip'd at the stream's level.
          for (let i = 0; i < events.length; i += 1000) {
            const entries = events
              .slice(i, i + 1000)
              .map((e, j) => `{"ddsource":"audit-trail","service":"audit-log","hostname":${JSON.stringify(hostname())},"ddtags":"organization:${e.organizationId},action_type:${e.actionType}","date":"${e.createdAt}","message":${JSON.stringify(datadogMessage(e))},"audit":${records[i + j]}}`);
            const body = gzipSync(`[${entries.join(',')}]`, { level: constants.Z_BEST_SPEED });
            await (await fetch(http('/raw-datadog'), { method: 'POST', body, headers: { 'Content-Encoding': 'gzip', 'DD-API-KEY': 'bench-dd-key' } })).text();
          }
        },
      },
      {
        name: 'syslog (TCP)',
        destination: { type: 'syslog', host: '127.0.0.1', port: receivers.syslogPort, tls: false },
        delivered: () => receivers.seen('syslog'),
        key: 'syslog',
        rawKey: 'raw-syslog',
        raw: async () => {
          const socket = tcpConnect({ host: '127.0.0.1', port: receivers.rawSyslogPort });
          await new Promise((resolve) => socket.once('connect', resolve));
          for (let i = 0; i < events.length; i += 1000) {
            const frames = Buffer.from(events.slice(i, i + 1000).map((e, j) => syslogFrame({ event: e, record: records[i + j], seq: i + j, storedAt: now }, 'bench')).join(''));
            await new Promise<void>((resolve, reject) => socket.write(frames, (error) => (error ? reject(error) : resolve())));
          }
          socket.end();
          // The loop is done when the receiver has read it all, as the stream is.
          await waitFor('the raw syslog frames read', () => receivers.seen('raw-syslog') >= EVENTS, 600_000, 10);
        },
      },
      {
        name: 's3',
        destination: { type: 's3', bucket: 'bench', prefix: 'stream/', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sliceSeconds: 60, maxEvents: 10_000 },
        delivered: () => s3listed('stream/'),
        verified: () => s3count('stream/'),
        key: 's3:stream',
        rawKey: 's3:raw',
        raw: async () => {
          let first = 1;
          for (const b of batches(10_000)) {
            // Named by the events' positions, as the stream's objects are, so that each is counted as it is stored.
            const Key = `raw/${first}-${first + b.length - 1}.jsonl.gz`;
            first += b.length;
            await s3client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body: gzipSync(b.map((r) => `${r}\n`).join('')), ContentEncoding: 'gzip' }));
          }
        },
      },
    ];
    const messaging = readMessagingConfig({ NATS_URL: nats.url });
    let floorRuns = 0;
    /**
     * The bus floor for a destination's batch shape, timed as a delivery is (from the consumer's creation to
     * the last event in hand), with the floor consumer's CPU and nats-server's per event; with `check`, the
     * floor of a consumer that re-checks every message as a stream does.
     */
    async function measureFloor(name: string, destination: Destination, rawSeconds: number, check: boolean): Promise<{ seconds: number; ratio: number; window: number }> {
      const label = check ? 'bus floor + re-check' : 'bus floor';
      const shape = batchShape({ destination }, 1_000, messaging.ackWaitMs);
      const cpu = cpuOf(floor.pid);
      const natsCpu = cpuOf(nats.pid);
      const main = mainThreadOf(floor.pid);
      const started = performance.now();
      const windowMs = await floor.run({ durable: `bench-floor-${floorRuns++}`, filterSubject: streamFilterSubject('bench'), batch: shape.maxBatchMessages, ackWaitMs: shape.ackWaitMs, events: EVENTS, check });
      const seconds = (performance.now() - started) / 1000;
      // As the stream and the raw loop are timed at their receiver: from the first event in hand to the last.
      const window = (EVENTS - 1) / (windowMs / 1000);
      const cpuSeconds = cpuOf(floor.pid) - cpu;
      const natsSeconds = cpuOf(nats.pid) - natsCpu;
      const mainAfter = mainThreadOf(floor.pid);
      const ratio = rawSeconds / seconds;
      process.stdout.write(
        `[bench:streams] ${name.padEnd(12)} ${label} ${rate(EVENTS, seconds).padStart(check ? 13 : 24)} (${seconds.toFixed(1)} s from its consumer's creation; first → last event in hand ${rate(window, 1)}; batches of ${shape.maxBatchMessages.toLocaleString('en')}, consumer CPU ${cpuSeconds.toFixed(1)} s = ${((cpuSeconds / EVENTS) * 1e6).toFixed(1)} µs/event, nats-server ${((natsSeconds / EVENTS) * 1e6).toFixed(1)} µs/event; its main thread ran ${(mainAfter.ran - main.ran).toFixed(1)} s, waited ${(mainAfter.waited - main.waited).toFixed(1)} s for a core)   raw loop ${rate(EVENTS, rawSeconds).padStart(16)}   ${check ? 'floor + re-check' : 'floor'} ÷ raw ${ratio.toFixed(2)}×   ${load()}\n`,
      );
      const figure = check ? `${name}: bus floor + re-check (a bare pull consumer decoding and re-checking each event as a stream does)` : `${name}: bus floor (a bare pull consumer doing nothing)`;
      results.figure(`${figure}, ${EVENTS.toLocaleString('en')} events`, Math.round(EVENTS / seconds), 'events/s', {
        name: 'raw loop, same batches to the same receiver',
        value: Math.round(EVENTS / rawSeconds),
        unit: 'events/s',
      });
      results.figure(`${name}: ${label} consumer CPU per event`, Math.round((cpuSeconds / EVENTS) * 1e7) / 10, 'µs/event');
      results.figure(`${name}: ${label} nats-server CPU per event`, Math.round((natsSeconds / EVENTS) * 1e7) / 10, 'µs/event');
      return { seconds, ratio, window };
    }
    const only = process.env.BENCH_STREAM_DESTINATIONS?.split(',');
    for (const d of destinations.filter((x) => !only || only.includes(x.name.split(' ')[0]))) {
      t = performance.now();
      await d.raw();
      const rawSeconds = (performance.now() - t) / 1000;
      const rawWindow = receivers.arrivals.window(d.rawKey);
      const bare = await measureFloor(d.name, d.destination as unknown as Destination, rawSeconds, false);
      const checked = await measureFloor(d.name, d.destination as unknown as Destination, rawSeconds, true);
      t = performance.now();
      const cpu = cpuOf(pid);
      const natsCpu = cpuOf(nats.pid);
      const main = mainThreadOf(pid);
      await api('bench', 'POST', '/v1/streams', { name: d.name.split(' ')[0], destination: d.destination });
      await waitFor(`${d.name}: every event delivered`, async () => (await d.delivered()) >= EVENTS, 30 * 60_000, 250);
      // Ended when the receiver had the last of them, not at the poll that saw it.
      const seconds = ((receivers.arrivals.last(d.key) ?? performance.now()) - t) / 1000;
      const cpuSeconds = cpuOf(pid) - cpu;
      // The other core's share: what nats-server spends delivering the stream's messages (the raw loop has no bus).
      const natsSeconds = cpuOf(nats.pid) - natsCpu;
      const mainAfter = mainThreadOf(pid);
      const firstAt = receivers.arrivals.first(d.key);
      const firstAfter = firstAt === undefined ? '' : `first event after ${((firstAt - t) / 1000).toFixed(2)} s, `;
      const window = receivers.arrivals.window(d.key);
      const ids = await (d.verified ?? d.delivered)();
      if (ids < EVENTS) throw new Error(`${d.name}: ${ids} distinct event ids delivered of ${EVENTS}`);
      // Compared alike: between first and last arrivals where both receivers had enough of them, else from the starts.
      const alike = window !== undefined && rawWindow !== undefined;
      const timing = alike ? 'first → last event at the receiver' : `from the stream's creation and the loop's start (fewer than ${Arrivals.ENOUGH} arrivals to time between)`;
      const streamRate = alike ? window.rate : EVENTS / seconds;
      const rawRate = alike ? rawWindow.rate : EVENTS / rawSeconds;
      const ratio = streamRate / rawRate;
      process.stdout.write(
        `[bench:streams] ${d.name.padEnd(12)} stream ${rate(streamRate, 1).padStart(16)} ${timing} (${window ? `${window.seconds.toFixed(2)} s between arrivals; ` : ''}from its creation ${rate(EVENTS, seconds)} in ${seconds.toFixed(1)} s, ${firstAfter}service CPU ${cpuSeconds.toFixed(1)} s = ${((cpuSeconds / EVENTS) * 1e6).toFixed(1)} µs/event, nats-server ${((natsSeconds / EVENTS) * 1e6).toFixed(1)} µs/event; service main thread ran ${(mainAfter.ran - main.ran).toFixed(1)} s, waited ${(mainAfter.waited - main.waited).toFixed(1)} s for a core)   raw loop ${rate(rawRate, 1).padStart(16)} (${rate(EVENTS, rawSeconds)} from its start)   ratio ${ratio.toFixed(2)}× (from the stream's creation and the loop's start ${(rawSeconds / seconds).toFixed(2)}×)   service peak RSS ${peakRssOf(pid).toFixed(0)} MB   ${load()}\n`,
      );
      results.figure(`${d.name}: stream delivery, ${alike ? 'first → last event at the receiver' : 'from its creation'}, ${EVENTS.toLocaleString('en')} events`, Math.round(streamRate), 'events/s', {
        name: `raw loop, same batches to the same receiver, ${alike ? 'first → last event at the receiver' : 'from its start'}`,
        value: Math.round(rawRate),
        unit: 'events/s',
      });
      if (alike) {
        results.figure(`${d.name}: stream delivery from its creation, ${EVENTS.toLocaleString('en')} events`, Math.round(EVENTS / seconds), 'events/s', {
          name: 'raw loop, same batches to the same receiver, from its start',
          value: Math.round(EVENTS / rawSeconds),
          unit: 'events/s',
        });
      }
      results.figure(`${d.name}: service CPU per event`, Math.round((cpuSeconds / EVENTS) * 1e7) / 10, 'µs/event');
      const bareRate = alike ? bare.window : EVENTS / bare.seconds;
      const checkedRate = alike ? checked.window : EVENTS / checked.seconds;
      const bareRatio = bareRate / rawRate;
      const checkedRatio = checkedRate / rawRate;
      process.stdout.write(
        `[bench:streams] ${d.name.padEnd(12)} ${alike ? 'first → last' : 'from the starts'}: stream ${ratio.toFixed(2)}× raw, bus floor ${bareRatio.toFixed(2)}× raw, floor + re-check ${checkedRatio.toFixed(2)}× raw: the stream runs at ${(streamRate / bareRate).toFixed(2)}× the floor, ${(streamRate / checkedRate).toFixed(2)}× the floor + re-check` +
          (bareRatio < 0.7
            ? `; even a consumer doing nothing takes these events off the bus at ${bareRatio.toFixed(2)}× raw, below the 0.7× target: no consumer of per-event bus messages can meet it on this machine\n`
            : checkedRatio < 0.7
              ? `; a consumer that only re-checks each event, as a stream must, takes them at ${checkedRatio.toFixed(2)}× raw, below the 0.7× target: no stream that keeps the re-check can meet it on this machine\n`
              : '\n'),
      );
      // Each path's ids are counted: let them go, or a 1M run holds several million ids and overflows the heap.
      receivers.ids.clear();
      receivers.arrivals.clear();
    }

    if (STEADY_MS > 0) await steadyS3();
    /**
     * The cost of an S3 stream at a steady 1,000 events/s into 60 s slices of up to 100,000 events: its
     * messages are held while a slice fills, and each held one is kept alive with working() (a publish) every
     * third of the consumer's ack wait. The service's and nats-server's CPU over the run (the bench's own
     * publishing is in neither).
     */
    async function steadyS3(): Promise<void> {
      const stream = await api('bench-steady', 'POST', '/v1/streams', {
        name: 'steady',
        destination: { type: 's3', bucket: 'bench', prefix: 'steady/', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sliceSeconds: 60, maxEvents: 100_000 },
      });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const cpu = cpuOf(pid);
      const natsCpu = cpuOf(nats.pid);
      const started = performance.now();
      let sent = 0;
      while (performance.now() - started < STEADY_MS) {
        const due = Math.floor(((performance.now() - started) / 1000) * 1000);
        if (due > sent) {
          await publish(bus, Array.from({ length: due - sent }, (_, i) => event('bench-steady', sent + i, new Date())));
          sent = due;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      const service = (cpuOf(pid) - cpu) / seconds;
      const server = (cpuOf(nats.pid) - natsCpu) / seconds;
      process.stdout.write(
        `[bench:streams] s3 at 1,000 events/s for ${seconds.toFixed(0)} s (60 s slices): service CPU ${(service * 100).toFixed(1)} % of a core, nats-server ${(server * 100).toFixed(1)} %   ${load()}\n`,
      );
      results.figure('s3 at a steady 1,000 events/s (60 s slices): service CPU', Math.round(service * 1000) / 10, '% of a core');
      results.figure('s3 at a steady 1,000 events/s (60 s slices): nats-server CPU', Math.round(server * 1000) / 10, '% of a core');
      // Gone before the idle cost is taken, with the events it still holds.
      await api('bench-steady', 'DELETE', `/v1/streams/${stream.id}`);
    }

    if (OUTAGE_MS > 0) await outageDrain();
    async function outageDrain(): Promise<void> {
      // Lag drain: the receiver answers 503 for the outage while events arrive, then recovers.
      const outage = OUTAGE_EVENTS;
      const outageLabel = `${(OUTAGE_MS / 1000).toFixed(0)} s`;
      const outageStream = await api('bench-outage', 'POST', '/v1/streams', { name: 'hook', destination: { type: 'webhook', url: http('/outage'), secrets: ['bench-webhook-secret-0123'] } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      receivers.status = 503;
      const outageStarted = performance.now();
      const outageEvents = Array.from({ length: outage }, (_, i) => event('bench-outage', i, new Date()));
      await publish(bus, outageEvents);
      // Only the events published during the outage count: the receiver also gets the stream's own audit event
      // (its creation, before the outage), which made the first delivery after recovery read 0 s and put the
      // retry's backoff wait into the drain.
      const outageIds = outageEvents.map((e) => e.id);
      const outageSeen = (): number => {
        const seen = receivers.ids.get('/outage');
        return seen ? outageIds.reduce((n, id) => n + (seen.has(id) ? 1 : 0), 0) : 0;
      };
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (performance.now() - outageStarted))));
      receivers.status = 200;
      const recoveredAt = new Date();
      t = performance.now();
      await waitFor('the first delivery after recovery', () => outageSeen() > 0, 30 * 60_000, 50);
      const firstAfter = (performance.now() - t) / 1000;
      const t1 = performance.now();
      const drainCpu = cpuOf(pid);
      await waitFor('the backlog drained', () => outageSeen() >= outage, 30 * 60_000, 100);
      const drain = (performance.now() - t1) / 1000;
      const drainCpuSeconds = cpuOf(pid) - drainCpu;
      // Redeliveries during or after the outage would be sent twice: the consumer counts them.
      const outageConsumer = await bus.jsm.consumers.info(STREAMS.events, `stream-${outageStream.id}`);
      process.stdout.write(
        `[bench:streams] outage consumer: delivered ${outageConsumer.delivered.consumer_seq.toLocaleString('en')} deliveries for the ${outage.toLocaleString('en')} events and the stream's own creation event (any more are redeliveries); recovered ${recoveredAt.toISOString()}, drained ${new Date().toISOString()}\n`,
      );
      process.stdout.write(
        `[bench:streams] lag drain after a ${outageLabel} outage: ${outage.toLocaleString('en')} events; first delivery ${firstAfter.toFixed(1)} s after recovery (the retry backoff caps at 30 s), then drained in ${drain.toFixed(1)} s (${rate(outage, drain)}, service CPU ${drainCpuSeconds.toFixed(1)} s = ${((drainCpuSeconds / outage) * 1e6).toFixed(1)} µs/event)   ${load()}\n`,
      );
      results.figure(`lag drain after a ${outageLabel} receiver outage (webhook, ${outage.toLocaleString('en')} events)`, Math.round(outage / drain), 'events/s');
      results.figure(`first delivery after the receiver recovered (${outageLabel} outage)`, Math.round(firstAfter * 10) / 10, 's');
    }

    if (process.env.BENCH_STREAM_IDLE === 'false') {
      results.write();
      return;
    }
    // Idle cost: 100 paused + 10 active streams against none, 20 s each.
    const idle = async (): Promise<{ cpu: number; rss: number }> => {
      const c = cpuOf(pid);
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      return { cpu: cpuOf(pid) - c, rss: rssOf(pid) };
    };
    for (const d of ['webhook', 'splunk', 'datadog', 'syslog', 's3']) await api('bench', 'DELETE', `/v1/streams/${(await list('bench')).find((s) => s.name === d)?.id ?? ''}`).catch(() => undefined);
    await api('bench-outage', 'DELETE', `/v1/streams/${(await list('bench-outage'))[0]?.id ?? ''}`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const none = await idle();
    for (let i = 0; i < 110; i++) {
      await api(`bench-cost-${i}`, 'POST', '/v1/streams', { name: 'hook', paused: i >= 10, destination: { type: 'webhook', url: http('/cost'), secrets: ['bench-webhook-secret-0123'] } });
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const many = await idle();
    process.stdout.write(
      `[bench:streams] idle 20 s: no streams ${none.cpu.toFixed(2)} CPU s, RSS ${none.rss.toFixed(0)} MB; 100 paused + 10 active ${many.cpu.toFixed(2)} CPU s, RSS ${many.rss.toFixed(0)} MB   ${load()}\n`,
    );
    results.figure('100 paused + 10 active streams, idle: service CPU', Math.round((many.cpu / 20) * 1000) / 10, '% of a core', { name: 'no streams', value: Math.round((none.cpu / 20) * 1000) / 10, unit: '% of a core' });
    results.figure('100 paused + 10 active streams, idle: service RSS', Math.round(many.rss), 'MB', { name: 'no streams', value: Math.round(none.rss), unit: 'MB' });
    results.note(
      `${EVENTS.toLocaleString('en')} events per destination, published before each stream is created. The rates compared are timed alike at the receiver, from the first event it got to the last (the events after the first arrival over that time), for the stream, the raw loop and the floor consumers; the stream's start (its creation through the API, the runner's refresh, the consumer's creation, the first pull) is the time to its first event, and the rate from its creation to the receiver holding every event id is given beside.`,
    );
    results.note(
      "The raw loop sends the same batches (1000 records; S3 10,000-record gzip objects) to the same receiver sequentially, with no bus, decode or check: the same bytes each destination gets (webhook signed, Splunk's and Datadog's entry fields, Datadog gzip'd at the stream's level, syslog framed), built from records serialised beforehand.",
    );
    results.note(
      "The bus floor is a bare @nats-io/jetstream pull consumer in a process of its own, with a stream worker's settings (the organization's filter, its batch size, max_ack_pending of 4 batches, a pull of 3 batches, cumulative acks, one ack per batch), taking the same events off AUDIT_EVENTS and doing nothing else; timed from its consumer's creation to the last event in hand. No consumer of per-event bus messages goes faster on this machine: where the floor is below 0.7 × raw, so is every stream. 'bus floor + re-check' is the same consumer decoding and re-checking each message as every stream does (decodeCanonicalMessage): the floor of any stream that keeps the security model.",
    );
    results.note(`The service, nats-server, Postgres and the receivers share the machine's cores with other work: ${load()} at the end.`);
    results.write();

    async function list(org: string): Promise<Array<{ id: string; name: string }>> {
      return ((await api(org, 'GET', '/v1/streams')) as unknown as { items: Array<{ id: string; name: string }> }).items;
    }
  } finally {
    floor.stop();
    s3client.destroy();
    await service.stop();
    if (process.env.BENCH_STREAM_LOG) writeFileSync(process.env.BENCH_STREAM_LOG, service.output());
    await bus.close();
    await receivers.stop();
    await s3.close();
    rmSync(s3dir, { recursive: true, force: true });
    await nats.destroy();
    await db.drop();
  }
}

if (process.argv[2] === FLOOR_FLAG) {
  busFloorConsumer(process.argv[3]).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
