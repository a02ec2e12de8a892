import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditClient, HttpTransport } from '@audit/audit-client';
import { ACTION_TYPES, uuidv7, type AuditEventInput } from '@audit/contracts';
import { freePort } from './test-database';
import { runCliProcess, runScript } from './processes';
import { ROLLUP_CHECKS } from './rollup-checks';
import { superviseService, type SupervisedService } from './supervisor';
import type { TestDatabase } from './test-database';

/**
 * The event pipeline as an operator runs it, for fault tests: ingest (HTTP), writer and projector, each
 * its own process under a supervisor that restarts it when it dies. Ingest keeps its port across restarts
 * so clients find it again; the projector keeps its embedded ClickHouse directory, which the test reads
 * once the projector has stopped ({@link readClickHouse}: chDB binds a directory to one process).
 */
export interface FaultPipeline {
  ingest: SupervisedService;
  writer: SupervisedService;
  projector: SupervisedService;
  ingestUrl: string;
  clickhousePath: string;
  /** Stops every service gracefully (the ClickHouse directory stays until `removeClickHouse`). */
  stop(): Promise<void>;
  removeClickHouse(): void;
}

export interface FaultPipelineOptions {
  databaseUrl: string;
  natsUrl: string;
  /** Extra environment of every service (e.g. STREAM_REPLICAS, short caches). */
  env?: Record<string, string>;
}

/** Starts writer, projector and ingest against `databaseUrl` and `natsUrl`; resolves once each is ready. */
export async function startFaultPipeline(options: FaultPipelineOptions): Promise<FaultPipeline> {
  const clickhousePath = mkdtempSync(path.join(tmpdir(), 'audit-ch-faults-'));
  const env = {
    DATABASE_URL: options.databaseUrl,
    NATS_URL: options.natsUrl,
    AUTH_JWT_SECRET: 'fault-suite-secret-that-is-long-enough-0123',
    ...options.env,
  };
  const ingestPort = await freePort();
  const started: SupervisedService[] = [];
  const supervise = async (app: string, extra: Record<string, string>): Promise<SupervisedService> => {
    const service = await superviseService(app, { ...env, ...extra });
    started.push(service);
    return service;
  };
  try {
    // The writer first: it runs the Postgres migrations the others (and the CLI) need.
    const writer = await supervise('writer', { WRITER_FLUSH_INTERVAL: '20ms' });
    const [projector, ingest] = await Promise.all([
      supervise('projector', { CLICKHOUSE_PATH: clickhousePath, PROJECTOR_FLUSH_INTERVAL: '50ms' }),
      supervise('ingest', { PORT: String(ingestPort) }),
    ]);
    return {
      ingest,
      writer,
      projector,
      ingestUrl: `http://127.0.0.1:${ingestPort}`,
      clickhousePath,
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
      },
      removeClickHouse: () => rmSync(clickhousePath, { recursive: true, force: true }),
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
    rmSync(clickhousePath, { recursive: true, force: true });
    throw error;
  }
}

/** An ingest key for `organizationId`, made by the CLI as an operator would. */
export async function createIngestKey(databaseUrl: string, organizationId: string): Promise<string> {
  const result = await runCliProcess(['keys', 'create', '--org', organizationId, '--json'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
  if (result.code !== 0) throw new Error(`keys create exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return (JSON.parse(result.stdout) as { key: string }).key;
}

/** The project's own HTTP client, retrying long enough to ride out a restart of ingest or of the bus. */
export function faultTolerantClient(ingestUrl: string, apiKey: string): AuditClient {
  return new AuditClient(new HttpTransport({ baseUrl: ingestUrl, apiKey, retries: 30, retryDelayMs: 250, timeoutMs: 10_000 }));
}

export interface TrafficOutcome {
  /** Ids answered 202: each must end up stored exactly once. */
  accepted: string[];
  /** Batches the client gave up on, with its error: their ids may be stored at most once. */
  refused: Array<{ ids: string[]; error: string }>;
  /** The longest time between two 202s: how long emitters waited (their client retrying) through the fault. */
  longestWaitMs: number;
}

/**
 * A steady stream of known events of one organization, sent in batches through the client until `finish`,
 * so a fault can be injected mid-stream (`reached`), the traffic goes on through it and past its repair,
 * and every accepted id can be checked afterwards.
 */
export class Traffic {
  readonly accepted: string[] = [];
  readonly refused: TrafficOutcome['refused'] = [];
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];
  private finishing = false;
  private longestWaitMs = 0;
  private readonly running: Promise<TrafficOutcome>;

  constructor(
    client: AuditClient,
    readonly organizationId: string,
    options: { batch?: number; pauseMs?: number } = {},
  ) {
    this.running = this.run(client, options.batch ?? 20, options.pauseMs ?? 20);
  }

  /** Stops after the batch being sent, and resolves with every id's fate. */
  finish(): Promise<TrafficOutcome> {
    this.finishing = true;
    return this.running;
  }

  /** Events answered so far, accepted or refused. */
  get answered(): number {
    return this.accepted.length + this.refused.reduce((n, r) => n + r.ids.length, 0);
  }

  /** Resolves once `n` events in all were answered (or the traffic ended). */
  reached(n: number): Promise<void> {
    if (this.answered >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private async run(client: AuditClient, batch: number, pauseMs: number): Promise<TrafficOutcome> {
    let lastAccepted = Date.now();
    for (let sent = 0; !this.finishing; sent += batch) {
      const events = Array.from({ length: batch }, (_, k) => knownEvent(this.organizationId, sent + k));
      const ids = events.map((e) => e.id as string);
      try {
        await client.emitBatch(events);
        this.accepted.push(...ids);
        this.longestWaitMs = Math.max(this.longestWaitMs, Date.now() - lastAccepted);
        lastAccepted = Date.now();
      } catch (error) {
        this.refused.push({ ids, error: (error as Error).message });
      }
      for (const waiter of this.waiters.filter((w) => this.answered >= w.n)) waiter.resolve();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
    for (const waiter of this.waiters) waiter.resolve();
    return { accepted: this.accepted, refused: this.refused, longestWaitMs: this.longestWaitMs };
  }
}

/** Event `i` of an organization's traffic: varied action types, users, addresses and response times, so every rollup has something to sum. */
function knownEvent(organizationId: string, i: number): AuditEventInput {
  return {
    id: uuidv7(),
    organizationId,
    actionType: ACTION_TYPES[i % ACTION_TYPES.length],
    userId: `user-${i % 7}`,
    user: { email: `user-${i % 7}@example.com`, userName: `User ${i % 7}` },
    ipAddress: `10.0.${i % 5}.${i % 11}`,
    responseTimeMs: i % 3 === 0 ? null : (i * 37) % 1_000,
    metadata: { i },
  };
}

/** How many rows each id of the organization has in Postgres. */
export async function postgresCopies(db: TestDatabase, organizationId: string): Promise<Map<string, number>> {
  const rows = await db.query<{ id: string; n: number }>(
    'SELECT id::text AS id, count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 GROUP BY id',
    [organizationId],
  );
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** Ids that are not stored exactly once (`missing`: 0 copies, `duplicated`: more than one), and stored ids nobody sent. */
export function exactlyOnce(copies: Map<string, number>, outcome: TrafficOutcome): { missing: string[]; duplicated: string[]; unknown: string[] } {
  const sent = new Set([...outcome.accepted, ...outcome.refused.flatMap((r) => r.ids)]);
  return {
    missing: outcome.accepted.filter((id) => (copies.get(id) ?? 0) === 0),
    duplicated: [...copies].filter(([, n]) => n > 1).map(([id]) => id),
    unknown: [...copies.keys()].filter((id) => !sent.has(id)),
  };
}

/** What the projector's ClickHouse holds, read by a process of its own once the projector has stopped. */
export interface ClickHouseContents {
  /** Copies of each id, per organization (`org/id` → rows). */
  copies: Map<string, number>;
  /** Each rollup read back and the same aggregate computed from `audit_events` (see ROLLUP_CHECKS). */
  rollups: Record<keyof typeof ROLLUP_CHECKS, { rollup: unknown[]; events: unknown[] }>;
}

/** Reads the projection in `clickhousePath` (database `audit`, the services' default). The projector must be stopped. */
export async function readClickHouse(clickhousePath: string): Promise<ClickHouseContents> {
  const script = `
    const { createClient } = require('@clickhouse/client');
    const { createChdbConnection } = require('chdb/connection');
    const checks = ${JSON.stringify(ROLLUP_CHECKS)};
    (async () => {
      const client = createClient({ connection: createChdbConnection({ path: ${JSON.stringify(clickhousePath)} }) });
      await client.command({ query: 'USE audit' });
      const rows = async (query) => (await client.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json();
      const out = { copies: await rows("SELECT concat(organizationId, '/', toString(id)) AS key, count() AS n FROM audit_events GROUP BY key"), rollups: {} };
      for (const [name, check] of Object.entries(checks)) out.rollups[name] = { rollup: await rows(check.rollup), events: await rows(check.events) };
      process.stdout.write(JSON.stringify(out), () => process.exit(0));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const result = await runScript(script, {}, 60_000);
  if (result.code !== 0) throw new Error(`reading ClickHouse failed (${result.code}):\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { copies: Array<{ key: string; n: number }>; rollups: ClickHouseContents['rollups'] };
  return { copies: new Map(parsed.copies.map((r) => [r.key, r.n])), rollups: parsed.rollups };
}

/** The ClickHouse copies of one organization's ids, keyed by id as {@link exactlyOnce} expects. */
export function clickHouseCopies(contents: ClickHouseContents, organizationId: string): Map<string, number> {
  const prefix = `${organizationId}/`;
  return new Map([...contents.copies].filter(([key]) => key.startsWith(prefix)).map(([key, n]) => [key.slice(prefix.length), n]));
}
