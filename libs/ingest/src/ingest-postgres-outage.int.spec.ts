import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { AuditClient, HttpTransport, NatsTransport, type AuditEventInput } from '@audit/audit-client';
import { hashKey } from '@audit/auth';
import { STREAMS } from '@audit/messaging';
import {
  connectTestBus,
  metricSample,
  readStream,
  scrapeMetrics,
  startPrivatePostgres,
  startService,
  startTestNats,
  superviseService,
  waitFor,
  waitForConsumerIdle,
  type PrivatePostgres,
  type RunningService,
  type SupervisedService,
  type TestBus,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(240_000);

const ORG = 'org_pg_outage';
const HTTP_EVENTS = 10_000;
const BUS_EVENTS = 1_000;
/** Every cache of ingest lives this long; the outage lasts well beyond it. */
const CACHE_TTL = '500ms';
const OUTAGE_BEYOND_TTLS_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Postgres stopped for longer than every cache of ingest (keys, redaction rules, retention policies).
 * Ingest keeps accepting events from a key it verified before, applying the rules it read before, stays
 * ready while the bus is up, and answers 503 (never 401, never 500) for a key it cannot verify. Every
 * event sent through the project's own client during the outage is accepted, and stored exactly once
 * once Postgres is back. Ingest and the writer run as their own processes; Postgres is a private server
 * that is really stopped and started.
 */
describe('ingest while Postgres is down', () => {
  let pg: PrivatePostgres;
  let nats: TestNats;
  let bus: TestBus;
  let ingest: RunningService;
  let writer: SupervisedService;
  let sql: Client | undefined;
  const warmKey = `audk_${randomBytes(24).toString('base64url')}`;
  const coldKey = `audk_${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    [pg, nats] = await Promise.all([startPrivatePostgres(), startTestNats()]);
    const env = { DATABASE_URL: pg.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'outage-test-secret-0123456789abcdefgh' };
    ingest = await startService('ingest', {
      ...env,
      AUTH_KEY_CACHE_TTL: CACHE_TTL,
      REDACTION_CACHE_TTL: CACHE_TTL,
      RETENTION_POLICY_CACHE_TTL: CACHE_TTL,
      INGEST_STALE_CACHE_MAX: '10m',
      INGEST_LOOKUP_TIMEOUT: '1s',
    });
    writer = await superviseService('writer', { ...env, CONSUMER_ACK_WAIT: '2s', WRITER_FLUSH_INTERVAL: '20ms' });
    bus = await connectTestBus(nats.url);
    // Both keys exist before the outage; only the warm one is used before it.
    const setup = new Client({ connectionString: pg.url });
    await setup.connect();
    for (const [key, name] of [
      [warmKey, 'warm'],
      [coldKey, 'cold'],
    ]) {
      await setup.query(`INSERT INTO api_keys (id, "organizationId", name, "keyPrefix", "keyHash") VALUES ($1, $2, $3, $4, $5)`, [randomUUID(), ORG, name, key.slice(0, 12), hashKey(key)]);
    }
    await setup.query(`INSERT INTO redaction_rules ("organizationId", "queryName", kind) VALUES ($1, 'getSecrets', 'hide_parameters')`, [ORG]);
    await setup.end();
  });

  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    await bus?.close();
    await writer?.stop();
    await ingest?.stop();
    await nats?.destroy();
    await pg?.destroy();
  });

  const event = (i: number, via: string): AuditEventInput => ({
    organizationId: ORG,
    actionType: 'QUERY_RUN',
    userId: `user-${i % 13}`,
    queryName: i % 2 === 0 ? 'getSecrets' : 'getInvoices',
    metadata: { query: `select ${i}`, parameters: { i }, via },
  });
  const post = (key: string, body: unknown): Promise<Response> =>
    fetch(`${ingest.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('accepts every event from a verified key during the outage, answers 503 for an unverifiable one, and stores each exactly once afterwards', async () => {
    const http = new AuditClient(new HttpTransport({ baseUrl: ingest.url, apiKey: warmKey, retryDelayMs: 100 }));
    const viaBus = new AuditClient(await NatsTransport.connect({ servers: nats.url, name: 'outage-test' }));
    const ids: string[] = [];
    try {
      // Before the outage: the key is verified, the rules and the policy are read once.
      ids.push(...(await http.emitBatch([event(-1, 'warm-up')])).ids);
      ids.push(...(await viaBus.emitBatch([event(-2, 'warm-up')])).ids);
      await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest', 30_000);

      await pg.stop();
      await sleep(OUTAGE_BEYOND_TTLS_MS);

      // Ready while the bus is up: Postgres is reported, and tolerated.
      const ready = await fetch(`${ingest.url}/readyz`);
      const readiness = (await ready.json()) as { checks: Record<string, { ok: boolean; tolerated?: string }> };
      expect(ready.status).toBe(200);
      expect(readiness.checks.postgres).toMatchObject({ ok: false, tolerated: expect.any(String) as unknown });

      // A valid key never verified before cannot be decided: 503 with a clear code, retryable.
      const cold = await post(coldKey, event(0, 'cold'));
      expect(cold.status).toBe(503);
      expect(cold.headers.get('retry-after')).not.toBeNull();
      expect(((await cold.json()) as { error: { code: string } }).error.code).toBe('DATABASE_UNAVAILABLE');

      // 10,000 events over HTTP (ten concurrent emitters of 1,000) and 1,000 over the bus, all during the outage.
      const sent = await Promise.all([
        ...Array.from({ length: 10 }, (_, c) => http.emitBatch(Array.from({ length: HTTP_EVENTS / 10 }, (_, i) => event(c * 1_000 + i, 'http')))),
        viaBus.emitBatch(Array.from({ length: BUS_EVENTS }, (_, i) => event(i, 'bus'))),
      ]);
      for (const { ids: batch } of sent) ids.push(...batch);
      expect(ids).toHaveLength(2 + HTTP_EVENTS + BUS_EVENTS);
      await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest', 60_000);
      // Still down: what was accepted was accepted without Postgres.
      expect(await fetch(`${ingest.url}/readyz`).then((r) => r.status)).toBe(200);
      const metrics = await scrapeMetrics(ingest.url);
      expect(metricSample(metrics, 'audit_cache_lookups_total', { cache: 'api_keys', outcome: 'stale' }) ?? 0).toBeGreaterThan(0);
      expect(metricSample(metrics, 'audit_cache_lookups_total', { cache: 'redaction_rules', outcome: 'stale' }) ?? 0).toBeGreaterThan(0);
      // No request was answered 500 (the client would have retried it, hiding it from this test).
      // Nothing was answered 500, and the only 503 was the cold key's (the client retries both, which would hide them here).
      expect(metrics).not.toContain('status="500"');
      expect(metricSample(metrics, 'audit_http_request_duration_seconds_count', { method: 'POST', route: '/v1/events', status: '503' })).toBe(1);
    } finally {
      await pg.start();
      await http.close();
      await viaBus.close();
    }

    // The cold key works once Postgres is back (ingest probes it again within a second of its last failure).
    await waitFor('the cold key to be accepted', async () => (await post(coldKey, event(1, 'cold'))).status === 202, 15_000, 250);

    sql = new Client({ connectionString: pg.url });
    await sql.connect();
    const db = sql;
    await waitFor(
      `all ${ids.length} accepted events to be stored`,
      async () => (await db.query<{ n: number }>(`SELECT count(DISTINCT id)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])`, [ids])).rows[0].n === ids.length,
      120_000,
      500,
    );
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer', 60_000);
    const stored = await db.query<{ id: string; n: number }>(`SELECT id, count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[]) GROUP BY id`, [ids]);
    expect(stored.rows).toHaveLength(ids.length);
    expect(stored.rows.filter((r) => r.n !== 1)).toEqual([]);
    // The rules read before the outage were applied during it: no hidden parameters were stored.
    const leaked = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "queryName" = 'getSecrets' AND metadata ? 'parameters'`);
    expect(leaked.rows[0].n).toBe(0);
    expect(await readStream(bus.jsm, STREAMS.dlq)).toEqual([]);
  });
});
