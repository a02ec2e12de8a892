/**
 * npm run bench:ingest — end-to-end ingest throughput and accept→commit latency of the standalone app
 * (and of the same services as separate processes),
 * beside the raw limits of its parts measured in the same run on the same machine:
 * a plain JetStream async publish of the same payloads (by nats.js' request per message, and pipelined
 * as ingest publishes), and a plain COPY of the same rows into the same partitioned, indexed table. BENCH_EVENTS sets the events per phase (default 50000).
 */
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createAuditClient } from '@audit/audit-client';
import { PipelinedPublisher } from '@audit/jetstream-publish';
import { demoEvents } from '@audit/cli';
import { validateBatch, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { createTestDatabase, runCliProcess, startService, startTestNats, waitFor } from '@audit/testing';
import { cpuSecondsOf, percentile } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const HTTP_BATCH = 500;
const HTTP_CONCURRENCY = 4;
const SAMPLE_EVERY = 25;
const SERVICE_ENV = { AUTH_JWT_SECRET: 'bench-secret-bench-secret-bench-secret', LOG_LEVEL: 'error' };

interface PhaseResult {
  name: string;
  seconds: number;
  eventsPerSecond: number;
  latencies: number[];
  cpu: Record<string, number>;
}

async function main(): Promise<void> {
  const nats = await startTestNats();
  const db = await createTestDatabase('audit_bench');
  const service = await startService('standalone', { DATABASE_URL: db.url, NATS_URL: nats.url, ...SERVICE_ENV });
  const results: PhaseResult[] = [];
  let copyRate = 0;
  let publishRate = 0;
  let pipelinedRate = 0;
  try {
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url };
    const keyFor = async (org: string): Promise<string> =>
      (JSON.parse((await runCliProcess(['keys', 'create', '--org', org, '--json'], env)).stdout) as { key: string }).key;
    const now = new Date();
    const events = (org: string, seed: number): AuditEventInput[] => withIds(demoEvents(org, N, { now, spanMs: 3_600_000, seed }));
    const httpEvents = events('bench-http', 1);
    const busEvents = events('bench-nats', 2);

    // The standalone app: every service in one process (one Node thread), as `npm start` runs it.
    const httpKey = await keyFor('bench-http');
    results.push(await phase('standalone, HTTP batches of 500', db, httpEvents, () => postAll(service.url, httpKey, httpEvents)));
    results.push(await phase('standalone, client library over NATS', db, busEvents, () => emitAll(nats.url, busEvents)));
    await service.stop();

    // The same services as separate processes (apps/ingest, apps/writer, apps/projector), as Kubernetes runs them.
    const split = await Promise.all(['ingest', 'writer', 'projector'].map((app) => startService(app, { ...env, ...SERVICE_ENV })));
    try {
      const splitHttp = events('bench-http-split', 3);
      const splitBus = events('bench-nats-split', 4);
      const splitKey = await keyFor('bench-http-split');
      results.push(await phase('split services, HTTP batches of 500', db, splitHttp, () => postAll(split[0].url, splitKey, splitHttp)));
      results.push(await phase('split services, client library over NATS', db, splitBus, () => emitAll(nats.url, splitBus)));
    } finally {
      await Promise.all(split.map((s) => s.stop()));
    }

    publishRate = await rawPublish(nats.url, canonical(busEvents), 'request');
    pipelinedRate = await rawPublish(nats.url, canonical(busEvents), 'pipelined');
    copyRate = await rawCopy(db.url, canonical(httpEvents));
  } finally {
    await service.stop();
    await db.drop();
    await nats.destroy();
  }

  const line = (label: string, value: string): void => console.log(`${label.padEnd(58)} ${value}`);
  console.log(`\ningest benchmark: ${N} events per phase, ${HTTP_CONCURRENCY} concurrent HTTP requests, every part on this machine\n`);
  for (const r of results) {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    line(`pipeline, ${r.name}: events/s accepted → committed`, r.eventsPerSecond.toFixed(0));
    line(`pipeline, ${r.name}: accept → commit p50 / p99 (ms)`, `${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)}  (${sorted.length} sampled, ±20 ms poll)`);
    const busy = Object.entries(r.cpu).filter(([, v]) => v >= 0.05);
    line(`pipeline, ${r.name}: CPU seconds by process`, busy.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ') + ` over ${r.seconds.toFixed(1)} s wall`);
  }
  line('raw: JetStream async publish (js.publish), same payloads (msg/s)', publishRate.toFixed(0));
  line('raw: JetStream pipelined publish, same payloads (msg/s)', pipelinedRate.toFixed(0));
  line('raw: COPY into the same partitioned, indexed table (rows/s)', copyRate.toFixed(0));
  for (const r of results) line(`ratio pipeline ÷ raw COPY, ${r.name}`, (r.eventsPerSecond / copyRate).toFixed(2));
}

async function postAll(url: string, key: string, events: AuditEventInput[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (next < events.length) {
        const batch = events.slice(next, (next += HTTP_BATCH));
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
      }
    }),
  );
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

async function phase(name: string, db: { url: string }, events: AuditEventInput[], send: () => Promise<void>): Promise<PhaseResult> {
  const org = events[0].organizationId;
  const sample = events.filter((_, i) => i % SAMPLE_EVERY === 0).map((e) => e.id as string);
  const latencies: number[] = [];
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const cpuBefore = cpuSnapshot();
  const started = Date.now();
  let sending = true;
  const sent = send().finally(() => (sending = false));
  let pendingSample = new Set(sample);
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
  const seconds = (committedAt - started) / 1000;
  await pg.end();
  pendingSample = new Set();
  return { name, seconds, eventsPerSecond: events.length / seconds, latencies, cpu: cpuDelta(cpuBefore) };
}

const PROCESSES: Record<string, RegExp> = {
  standalone: /apps\/standalone\/src\/main\.ts/,
  ingest: /apps\/ingest\/src\/main\.ts/,
  writer: /apps\/writer\/src\/main\.ts/,
  projector: /apps\/projector\/src\/main\.ts/,
  'nats-server': /nats-server/,
  postgres: /postgres:/,
  'bench client': new RegExp(`ingest\\.bench\\.ts`),
};

function cpuSnapshot(): Record<string, number> {
  return Object.fromEntries(Object.entries(PROCESSES).map(([k, re]) => [k, cpuSecondsOf(re)]));
}

function cpuDelta(before: Record<string, number>): Record<string, number> {
  const after = cpuSnapshot();
  return Object.fromEntries(Object.keys(before).map((k) => [k, after[k] - before[k]]));
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
