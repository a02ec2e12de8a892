import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAuditClient, type AuditClient, type AuditEventInput } from '@audit/audit-client';
import { ACTION_TYPES, type ActionType } from '@audit/contracts';
import { STREAMS } from '@audit/messaging';
import { connectTestBus, metricSample, scrapeMetrics, waitFor, waitForConsumerIdle } from '@audit/testing';
import {
  cli,
  countRows,
  createKey,
  NOT_CLI_RECORD,
  idsOf,
  postEvents,
  readStream,
  startStack,
  waitForKeyRecord,
  waitForRow,
  type Stack,
} from './standalone.e2e-helpers';

/**
 * The standalone app driven as its users drive it: keys and redaction rules through the CLI, events over
 * HTTP and through the client library over NATS, results read back with SQL and straight from the bus.
 * One Postgres database, one nats-server and one standalone process for the whole file.
 */
describe('standalone end to end (ingest → AUDIT_EVENTS → writer → Postgres)', () => {
  let stack: Stack;
  let client: AuditClient;

  beforeAll(async () => {
    // A short key cache so that revoking a key that was already used takes effect within the test.
    stack = await startStack({ AUTH_KEY_CACHE_TTL: '1s' });
    client = await createAuditClient({ natsUrl: stack.nats.url });
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  }, 60_000);

  const uuid = (): string => randomUUID();
  // Every action type but CREATE_GROUP, which belongs to the reference-SQL test alone.
  const OTHER_TYPES = ACTION_TYPES.filter((t) => t !== 'CREATE_GROUP');

  it('stores exactly the 2,000 events sent by HTTP (2 × 500) and through the client library over NATS (1,000)', async () => {
    const org = 'org-bulk';
    const { key } = await createKey(stack.env, org);
    const make = (i: number, via: string): AuditEventInput => ({
      organizationId: org,
      actionType: OTHER_TYPES[i % OTHER_TYPES.length] as ActionType,
      userId: `user-${i % 17}`,
      user: { email: `user-${i % 17}@bulk.test`, userName: `User ${i % 17}` },
      ipAddress: i % 2 === 0 ? `10.0.${Math.floor(i / 256)}.${i % 256}` : '2001:db8::1',
      responseTimeMs: i,
      pageName: `page-${via}`,
      metadata: { i, via },
    });

    const first = await postEvents(stack.service.url, key, Array.from({ length: 500 }, (_, i) => make(i, 'http')));
    const second = await postEvents(stack.service.url, key, Array.from({ length: 500 }, (_, i) => make(500 + i, 'http')));
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const httpIds = [...(first.body.ids ?? []), ...(second.body.ids ?? [])];
    expect(httpIds).toHaveLength(1000);

    const { ids: natsIds } = await client.emitBatch(Array.from({ length: 1000 }, (_, i) => make(i, 'nats')));
    expect(natsIds).toHaveLength(1000);

    const expected = [...httpIds, ...natsIds].sort();
    expect(new Set(expected).size).toBe(2000);
    await waitFor('2,000 rows of org-bulk', async () => (await countRows(stack.db, org)) >= 2000, 30_000);
    // Give a late duplicate the chance to show up before counting exactly.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rows = await stack.db.query<{ id: string }>(`SELECT id FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD} ORDER BY id`, [org]);
    expect(rows.map((r) => r.id)).toEqual(expected);

    // Every field arrives as sent, whichever way it came.
    const viaHttp = await stack.db.query(
      `SELECT "organizationId", "actionType", "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName", metadata
       FROM audit_trail_events WHERE id = $1`,
      [httpIds[777]],
    );
    expect(viaHttp).toEqual([
      {
        organizationId: org,
        actionType: OTHER_TYPES[777 % OTHER_TYPES.length],
        userId: `user-${777 % 17}`,
        ipAddress: '2001:db8::1',
        responseTimeMs: 777,
        pageName: 'page-http',
        queryName: null,
        resourceName: null,
        metadata: { i: 777, via: 'http' },
      },
    ]);
    const viaNats = await stack.db.query(`SELECT "responseTimeMs", "ipAddress", metadata FROM audit_trail_events WHERE id = $1`, [natsIds[42]]);
    expect(viaNats).toEqual([{ responseTimeMs: 42, ipAddress: '10.0.0.42', metadata: { i: 42, via: 'nats' } }]);
    const perSource = await stack.db.query<{ via: string; n: number }>(
      `SELECT metadata->>'via' AS via, count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD} GROUP BY 1 ORDER BY 1`,
      [org],
    );
    expect(perSource).toEqual([
      { via: 'http', n: 1000 },
      { via: 'nats', n: 1000 },
    ]);
    const users = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE "organizationId" = $1`, [org]);
    expect(users).toEqual([{ n: 17 }]);
  }, 90_000);

  describe('refused input stores nothing', () => {
    const org = 'org-validate';
    let key: string;

    beforeAll(async () => {
      ({ key } = await createKey(stack.env, org));
    }, 30_000);

    it('answers 400 listing every invalid field path, and stores no event of the batch (not even the valid one)', async () => {
      const validId = uuid();
      const res = await postEvents(stack.service.url, key, [
        { id: validId, organizationId: org, actionType: 'LOGIN', userId: 'u-valid' },
        { organizationId: org, actionType: 'NOT_AN_ACTION', ipAddress: '300.1.2.3' },
        { organizationId: org, actionType: 'LOGOUT', metadata: 'not an object' },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
      expect(res.body.error?.details?.map((d) => [d.index, d.path])).toEqual([
        [1, '[1].actionType'],
        [1, '[1].ipAddress'],
        [2, '[2].metadata'],
      ]);

      // A later valid event is written only after anything published before it: once it is there, nothing else came.
      const marker = await postEvents(stack.service.url, key, { organizationId: org, actionType: 'PAGE_VIEW', pageName: 'marker-1' });
      expect(marker.status).toBe(202);
      await waitForRow(stack.db, idsOf(marker)[0]);
      expect(await stack.db.query('SELECT id FROM audit_trail_events WHERE id = $1', [validId])).toEqual([]);
      expect(await countRows(stack.db, org)).toBe(1);
    });

    it('answers 400 to a body that is not JSON', async () => {
      const notJson = await postEvents(stack.service.url, key, '{"organizationId": "org-validate", "actionType": ', true);
      expect({ status: notJson.status, code: notJson.body.error?.code }).toEqual({ status: 400, code: 'BAD_REQUEST' });
    });

    it('answers 415 UNSUPPORTED_MEDIA_TYPE naming the type to a body that is not sent as JSON', async () => {
      const res = await fetch(`${stack.service.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/xml' },
        body: '<event organizationId="org-validate"/>',
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: unknown }).error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('application/xml') });
    });

    it('answers 413 PAYLOAD_TOO_LARGE to a body over 5 MiB', async () => {
      const huge = JSON.stringify([{ organizationId: org, actionType: 'LOGIN', metadata: { blob: 'x'.repeat(5 * 1024 * 1024 + 1) } }]);
      const tooLarge = await postEvents(stack.service.url, key, huge, true);
      expect({ status: tooLarge.status, code: tooLarge.body.error?.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    });

    it('answers 401 without a key, with a made-up key or with a key that is not a bearer credential', async () => {
      const event = { organizationId: org, actionType: 'LOGIN', userId: 'u-nokey' };
      const noKey = await postEvents(stack.service.url, undefined, event);
      expect({ status: noKey.status, code: noKey.body.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      const madeUp = await postEvents(stack.service.url, 'audk_thisKeyWasNeverIssuedByTheCliAtAll0123456789', event);
      expect({ status: madeUp.status, code: madeUp.body.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      const notBearer = await fetch(`${stack.service.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`x:${key}`).toString('base64')}` },
        body: JSON.stringify(event),
      });
      expect(notBearer.status).toBe(401);
    });

    it('stored nothing of any refused request', async () => {
      const marker = await postEvents(stack.service.url, key, { organizationId: org, actionType: 'PAGE_VIEW', pageName: 'marker-2' });
      expect(marker.status).toBe(202);
      await waitForRow(stack.db, idsOf(marker)[0]);
      const rows = await stack.db.query<{ pageName: string }>(`SELECT "pageName" FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD} ORDER BY "pageName"`, [org]);
      expect(rows).toEqual([{ pageName: 'marker-1' }, { pageName: 'marker-2' }]);
    });

    it('answers 401 to a revoked key, whether or not it was used before revocation', async () => {
      const [unused, used] = await Promise.all([createKey(stack.env, org), createKey(stack.env, org)]);
      const accepted = await postEvents(stack.service.url, used.key, { organizationId: org, actionType: 'LOGIN', userId: 'before-revoke' });
      expect(accepted.status).toBe(202);

      const revoked = await Promise.all([unused, used].map(async ({ id }) => JSON.parse(await cli(stack.env, ['keys', 'revoke', '--id', id, '--json']))));
      expect(revoked).toEqual([{ revoked: unused.id }, { revoked: used.id }]);

      const event = { organizationId: org, actionType: 'LOGIN', userId: 'after-revoke' };
      const withUnused = await postEvents(stack.service.url, unused.key, event);
      expect({ status: withUnused.status, code: withUnused.body.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      // The standalone trusts a verified key for AUTH_KEY_CACHE_TTL (1s here), then asks Postgres again:
      // what the used key sent inside that window is accepted (and stored); nothing after it.
      let acceptedInWindow = 0;
      const withUsed = await waitFor(
        'the revoked key to be refused',
        async () => {
          const res = await postEvents(stack.service.url, used.key, event);
          if (res.status === 202) acceptedInWindow += 1;
          return res.status === 202 ? false : res;
        },
        5_000,
        250,
      );
      expect({ status: withUsed.status, code: withUsed.body.error?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });

      const marker = await postEvents(stack.service.url, key, { organizationId: org, actionType: 'PAGE_VIEW', pageName: 'marker-3' });
      await waitForRow(stack.db, idsOf(marker)[0]);
      const afterRevoke = await stack.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_trail_events WHERE "userId" = 'after-revoke'`,
      );
      expect(afterRevoke).toEqual([{ n: acceptedInWindow }]);
      expect(acceptedInWindow).toBeLessThanOrEqual(5);
      expect(await stack.db.query(`SELECT "userId" FROM audit_trail_events WHERE id = $1`, [idsOf(accepted)[0]])).toEqual([
        { userId: 'before-revoke' },
      ]);
    }, 60_000);
  });

  it('answers 403 when a key of organization A posts for organization B, and stores nothing of the batch', async () => {
    const { key } = await createKey(stack.env, 'org-a');
    const single = { id: uuid(), organizationId: 'org-b', actionType: 'LOGIN', userId: 'intruder' };
    const res = await postEvents(stack.service.url, key, single);
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('FORBIDDEN');
    expect(res.body.error?.details?.map((d) => d.path)).toEqual(['organizationId']);

    const own = { id: uuid(), organizationId: 'org-a', actionType: 'LOGIN', userId: 'insider' };
    const mixed = await postEvents(stack.service.url, key, [own, { ...single, id: uuid() }]);
    expect(mixed.status).toBe(403);
    expect(mixed.body.error?.details?.map((d) => d.path)).toEqual(['[1].organizationId']);

    const marker = await postEvents(stack.service.url, key, { organizationId: 'org-a', actionType: 'PAGE_VIEW', pageName: 'marker' });
    expect(marker.status).toBe(202);
    await waitForRow(stack.db, idsOf(marker)[0]);
    expect(await countRows(stack.db, 'org-b')).toBe(0);
    expect(await stack.db.query('SELECT id FROM audit_trail_events WHERE id = $1', [own.id])).toEqual([]);
    expect(await countRows(stack.db, 'org-a')).toBe(1);
    expect(await stack.db.query(`SELECT id FROM users WHERE id IN ('intruder', 'insider')`)).toEqual([]);
  });

  it('keeps query headers when HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS is not set', async () => {
    const org = 'org-headers-kept';
    const { key } = await createKey(stack.env, org);
    const metadata = { query: 'select * from orders where id = {{ id }}', parameters: { id: 7 }, headers: { 'x-request-id': 'req-1', 'user-agent': 'e2e' } };
    const res = await postEvents(stack.service.url, key, { organizationId: org, actionType: 'QUERY_RUN', queryName: 'getOrder', metadata });
    expect(res.status).toBe(202);
    await waitForRow(stack.db, idsOf(res)[0]);
    expect(await stack.db.query('SELECT metadata FROM audit_trail_events WHERE id = $1', [idsOf(res)[0]])).toEqual([{ metadata }]);
  });

  it('never lets hidden query parameters reach NATS or Postgres, over HTTP and over NATS', async () => {
    const org = 'org-redact';
    const out = JSON.parse(await cli(stack.env, ['redaction', 'hide-parameters', '--org', org, '--query', 'getSecrets', '--json']));
    expect(out).toEqual({ organizationId: org, queryName: 'getSecrets', hideParameters: true });
    const { key } = await createKey(stack.env, org);

    const hiddenQuery = { query: 'select * from vault where password = {{ password }}', headers: { 'x-request-id': 'r-1' } };
    const viaHttp = await postEvents(stack.service.url, key, [
      { organizationId: org, actionType: 'QUERY_RUN', queryName: 'getSecrets', metadata: { ...hiddenQuery, parameters: { password: 'hunter2' } } },
      { organizationId: org, actionType: 'QUERY_RUN', queryName: 'getPublic', metadata: { query: 'select 1', parameters: { password: 'swordfish' } } },
    ]);
    expect(viaHttp.status).toBe(202);
    const [hiddenId, keptId] = idsOf(viaHttp);
    const { id: natsHiddenId } = await client.emit({
      organizationId: org,
      actionType: 'QUERY_PREVIEW',
      queryName: 'getSecrets',
      metadata: { ...hiddenQuery, parameters: { password: 'hunter2', token: 'hunter2-token' } },
    });
    await waitForRow(stack.db, [natsHiddenId, ...idsOf(viaHttp)]);

    const rows = await stack.db.query<{ id: string; metadata: unknown }>(
      `SELECT id, metadata FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD} ORDER BY "queryName", "actionType"`,
      [org],
    );
    expect(rows).toEqual([
      { id: keptId, metadata: { query: 'select 1', parameters: { password: 'swordfish' } } },
      { id: natsHiddenId, metadata: hiddenQuery },
      { id: hiddenId, metadata: hiddenQuery },
    ]);
    const anywhere = await stack.db.query(`SELECT id FROM audit_trail_events WHERE metadata::text LIKE '%hunter2%'`);
    expect(anywhere).toEqual([]);

    // The canonical log itself: what every projection reads.
    const log = await readStream(stack.nats.url, 'AUDIT_EVENTS');
    expect(log.filter((m) => m.data.includes('hunter2'))).toEqual([]);
    // The reading above does see parameters that no rule hides (so it would have seen hunter2).
    expect(log.filter((m) => m.data.includes('swordfish')).map((m) => m.subject)).toEqual([`audit.events.${org}.QUERY_RUN`]);
    expect(log.filter((m) => m.subject.startsWith(`audit.events.${org}.`) && !m.subject.endsWith('.UPDATE_ORGANIZATION'))).toHaveLength(3);
    // The rule itself was recorded, by name, before it applied.
    expect(log.filter((m) => m.subject === `audit.events.${org}.UPDATE_ORGANIZATION` && m.data.includes('"hiddenParameters"'))).toHaveLength(1);
    const dlq = await readStream(stack.nats.url, 'AUDIT_DLQ');
    expect(dlq.filter((m) => m.data.includes('hunter2'))).toEqual([]);
  }, 60_000);

  it("runs the reference's SQL verbatim: CREATE_GROUP events joined with their users", async () => {
    const org = 'org-sql';
    const { key } = await createKey(stack.env, org);
    const ada = { email: 'ada@sql.test', userName: 'ada' };
    const grace = { email: 'grace@sql.test', userName: 'grace.hopper' };
    const res = await postEvents(stack.service.url, key, [
      { organizationId: org, actionType: 'CREATE_GROUP', userId: 'ada-1', user: ada, metadata: { group: 'admins' } },
      { organizationId: org, actionType: 'UPDATE_GROUP', userId: 'ada-1', user: ada, metadata: { group: 'admins' } },
      { organizationId: org, actionType: 'CREATE_GROUP', userId: 'grace-1', user: grace, metadata: { group: 'support', users: ['ada@sql.test'] } },
      { organizationId: org, actionType: 'LOGIN', userId: 'grace-1', user: grace, metadata: {} },
    ]);
    expect(res.status).toBe(202);
    const { id: viaNats } = await client.emit({
      organizationId: org,
      actionType: 'CREATE_GROUP',
      userId: 'ada-1',
      user: ada,
      metadata: { group: 'finance' },
    });
    await waitForRow(stack.db, [viaNats, ...idsOf(res)]);

    const rows = await stack.db.query<{ email: string; userName: string; actionType: string; metadata: { group: string } }>(
      `select
u.email, u."userName", a."actionType", a.metadata
from
audit_trail_events a
join users u on a."userId" = u.id
where a."actionType" = 'CREATE_GROUP';`,
    );
    expect([...rows].sort((x, y) => x.metadata.group.localeCompare(y.metadata.group))).toEqual([
      { email: 'ada@sql.test', userName: 'ada', actionType: 'CREATE_GROUP', metadata: { group: 'admins' } },
      { email: 'ada@sql.test', userName: 'ada', actionType: 'CREATE_GROUP', metadata: { group: 'finance' } },
      { email: 'grace@sql.test', userName: 'grace.hopper', actionType: 'CREATE_GROUP', metadata: { group: 'support', users: ['ada@sql.test'] } },
    ]);
  }, 60_000);

  // Postgres refuses COPY TO on a partitioned table before version 19 ("cannot copy from partitioned
  // table"): there the reference's command is spelled with a query, which exports the same rows.
  it("exports with the reference's \\copy audit_trail_events to 'audit_logs' csv; through psql, one CSV line per row", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'audit-copy-'));
    try {
      const [{ v }] = await stack.db.query<{ v: string }>('SHOW server_version_num');
      const command = Number(v) >= 190000 ? "\\copy audit_trail_events to 'audit_logs' csv;" : "\\copy (select * from audit_trail_events) to 'audit_logs' csv;";
      const { stdout } = await promisify(execFile)('psql', [stack.db.url, '-v', 'ON_ERROR_STOP=1', '-c', command], {
        cwd: dir,
      });
      const ids = (await stack.db.query<{ id: string }>('SELECT id FROM audit_trail_events ORDER BY id')).map((r) => r.id);
      expect(ids.length).toBeGreaterThan(2000);
      expect(stdout.trim()).toBe(`COPY ${ids.length}`);
      const lines = readFileSync(path.join(dir, 'audit_logs'), 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(ids.length);
      expect(lines.map((line) => line.split(',')[0]).sort()).toEqual(ids);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves /healthz, /readyz with its checks, and /metrics counting ingest and consumers exactly', async () => {
    const health = await fetch(`${stack.service.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${stack.service.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: {
        nats: { ok: true },
        postgres: { ok: true },
        clickhouse: { ok: true },
        'consumer:ingest': { ok: true },
        'consumer:writer': { ok: true },
        'consumer:sealer': { ok: true },
        'consumer:projector': { ok: true },
        streams: { ok: true },
      },
    });

    const org = 'org-metrics';
    const { key, id: keyId } = await createKey(stack.env, org);
    await waitForKeyRecord(stack.db, keyId);
    // The key's creation record is visible once committed, and the writer counts its ack right after: under
    // load the first scrape could fall in between and see it counted later. Once the writer has acknowledged
    // everything on the bus (the counter moves in the same turn as a lone message's ack), it is counted.
    const bus = await connectTestBus(stack.nats.url);
    try {
      await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    } finally {
      await bus.close();
    }
    const sample = (text: string) => ({
      http: metricSample(text, 'audit_ingest_events_accepted_total', { source: 'http' }) ?? 0,
      nats: metricSample(text, 'audit_ingest_events_accepted_total', { source: 'nats' }) ?? 0,
      ingestAcked: metricSample(text, 'audit_consumer_messages_total', { consumer: 'ingest', outcome: 'acked' }) ?? 0,
      writerAcked: metricSample(text, 'audit_consumer_messages_total', { consumer: 'writer', outcome: 'acked' }) ?? 0,
      invalid: metricSample(text, 'audit_ingest_events_rejected_total', { source: 'http', reason: 'invalid' }) ?? 0,
    });
    const before = sample(await scrapeMetrics(stack.service.url));
    // Earlier tests sent 1,000+ events each way.
    expect(before.http).toBeGreaterThan(1000);
    expect(before.nats).toBeGreaterThan(1000);

    const posted = await postEvents(stack.service.url, key, [1, 2, 3].map((n) => ({ organizationId: org, actionType: 'PAGE_VIEW', pageName: `p${n}` })));
    expect(posted.status).toBe(202);
    const refused = await postEvents(stack.service.url, key, [{ organizationId: org, actionType: 'NOPE' }, { organizationId: org }]);
    expect(refused.status).toBe(400);
    const { ids } = await client.emitBatch([{ organizationId: org, actionType: 'LOGIN' }, { organizationId: org, actionType: 'LOGOUT' }]);
    await waitForRow(stack.db, [...idsOf(posted), ...ids]);
    const expected = { http: before.http + 3, nats: before.nats + 2, ingestAcked: before.ingestAcked + 2, writerAcked: before.writerAcked + 5, invalid: before.invalid + 2 };
    // Acks are counted right after the commit that made the rows visible.
    await waitFor('the consumer counters', async () => sample(await scrapeMetrics(stack.service.url)).writerAcked >= expected.writerAcked, 5_000);
    const text = await scrapeMetrics(stack.service.url);
    expect(text).toContain('# TYPE audit_ingest_events_accepted_total counter');
    expect(text).toContain('# TYPE audit_consumer_messages_total counter');
    expect(sample(text)).toEqual(expected);
  });
});
