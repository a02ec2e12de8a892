import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { Client } from 'pg';
import { TokensService } from '@audit/auth';
import { STREAMS } from '@audit/messaging';
import {
  allPages,
  answerDepartures,
  connectTestBus,
  createTestDatabase,
  insertStoredEvents,
  readStream,
  startService,
  startTestNats,
  waitFor,
  type RunningService,
  type StoredEventRow,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(60_000);

const SECRET = 'query-e2e-secret-that-is-long-enough-0123456';
const ORG = 'org-query';
const OTHER = 'org-query-other';
const PAGED = 'org-query-paged';
const T0 = Date.parse('2026-10-01T00:00:00Z');
const MINUTE = 60_000;

/** Times as ISO strings, so the expected order can be computed by comparing them. */
type Row = StoredEventRow & { createdAt: string; receivedAt: string };

const TYPES = ['LOGIN', 'QUERY_RUN', 'PAGE_VIEW', 'CREATE_GROUP', 'RESOURCE_UPDATE', 'QUERY_PREVIEW'];
const PAGES = ['Payments', 'Orders', 'Home', null];
const QUERIES = ['getPayments', 'listOrders', 'refund_100%', null];
const RESOURCES = ['pg-main', 'stripe', null];
const IPS = ['203.0.113.9', '2001:db8::1', null];

/** A known data set: every field varies on its own cycle so filters combine into many distinct answers. */
function dataset(org: string, count: number, start: number): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const actionType = TYPES[i % TYPES.length];
    const isQuery = actionType.startsWith('QUERY');
    return {
      id: randomUUID(),
      organizationId: org,
      actionType,
      userId: i % 11 === 10 ? null : `u-${i % 7}`,
      ipAddress: IPS[i % 3],
      responseTimeMs: isQuery ? (i * 37) % 900 : null,
      pageName: PAGES[i % 4],
      queryName: isQuery ? QUERIES[Math.floor(i / 2) % 4] : null,
      resourceName: RESOURCES[i % 3],
      metadata: isQuery
        ? { query: i % 25 === 0 ? `select *\nfrom payments where note = 'NeedLe ${i}'` : `select ${i}`, parameters: { id: i }, headers: { 'x-request-id': `r-${i}` } }
        : { i },
      // Some rows share a timestamp, so order and cursors must break ties by id.
      createdAt: new Date(start + Math.floor(i / 2) * MINUTE).toISOString(),
      receivedAt: new Date(start + Math.floor(i / 2) * MINUTE + 5).toISOString(),
    };
  });
}


const newestFirst = (a: Row, b: Row): number => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

describe('query API (GET /v1/events, /v1/events/:id, /v1/users) and the /audit console files', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let service: RunningService;
  let consoleDir: string;
  const rows = dataset(ORG, 240, T0);
  const otherRows = dataset(OTHER, 30, T0);
  const tokens: Record<'admin' | 'member' | 'otherAdmin', string> = { admin: '', member: '', otherAdmin: '' };

  const get = (pathAndQuery: string, token: string | null = tokens.admin): Promise<Response> =>
    fetch(`${service.url}${pathAndQuery}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  /** Every page of a listing, following nextCursor, as the ids in the order served. */
  async function allIds(query: string, limit = 37, token: string | null = tokens.admin): Promise<string[]> {
    const items = await allPages(async (cursor: string | undefined) => {
      const params = [query, `limit=${limit}`, cursor === undefined ? '' : `cursor=${cursor}`].filter((p) => p !== '');
      const res = await get(`/v1/events?${params.join('&')}`, token);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { items: Array<{ id: string }>; nextCursor?: string };
      return { items: body.items, next: body.nextCursor };
    });
    return items.map((i) => i.id);
  }

  beforeAll(async () => {
    db = await createTestDatabase('audit_query_api');
    nats = await startTestNats();
    consoleDir = mkdtempSync(path.join(tmpdir(), 'audit-console-'));
    mkdirSync(path.join(consoleDir, 'assets'));
    writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><title>Audit</title><div id="root"></div>');
    writeFileSync(path.join(consoleDir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    // Reads here take milliseconds; the limit is low so a test can make one outlive it.
    service = await startService('query', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET, CONSOLE_DIR: consoleDir, PG_READ_TIMEOUT_MS: '2000' });
    bus = await connectTestBus(nats.url);
    await insertStoredEvents(db, [...rows, ...otherRows]);
    await db.query(
      `INSERT INTO users (id, email, "userName", "organizationId") SELECT 'u-' || n, 'user' || n || '@example.com', 'User ' || n, $1 FROM generate_series(0, 6) n`,
      [ORG],
    );
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    tokens.admin = await signer.sign({ organizationId: ORG, role: 'admin', userId: 'admin-1' }, 3600);
    tokens.member = await signer.sign({ organizationId: ORG, role: 'member' }, 3600);
    tokens.otherAdmin = await signer.sign({ organizationId: OTHER, role: 'admin' }, 3600);
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    expect(await service?.stop()).toBe(0);
    await nats?.destroy();
    await db?.drop();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  const expected = (pick: (r: Row) => boolean): string[] => rows.filter(pick).sort(newestFirst).map((r) => r.id);

  it.each([
    ['no filter', '', () => true],
    ['one action type', 'actionType=QUERY_RUN', (r: Row) => r.actionType === 'QUERY_RUN'],
    ['two action types', 'actionType=LOGIN&actionType=CREATE_GROUP', (r: Row) => ['LOGIN', 'CREATE_GROUP'].includes(r.actionType)],
    ['user', 'userId=u-3', (r: Row) => r.userId === 'u-3'],
    ['page', 'pageName=Orders', (r: Row) => r.pageName === 'Orders'],
    ['query', 'queryName=getPayments', (r: Row) => r.queryName === 'getPayments'],
    ['resource', 'resourceName=stripe', (r: Row) => r.resourceName === 'stripe'],
    ['IPv6 address', `ipAddress=${encodeURIComponent('2001:db8::1')}`, (r: Row) => r.ipAddress === '2001:db8::1'],
    [
      'window: from inclusive, to exclusive',
      `from=${new Date(T0 + 10 * MINUTE).toISOString()}&to=${new Date(T0 + 50 * MINUTE).toISOString()}`,
      (r: Row) => r.createdAt >= new Date(T0 + 10 * MINUTE).toISOString() && r.createdAt < new Date(T0 + 50 * MINUTE).toISOString(),
    ],
    ['free text in the query text, any case', 'q=needle', (r: Row) => String(r.metadata.query ?? '').toLowerCase().includes('needle')],
    ['free text over names', 'q=PAYM', (r: Row) => [r.pageName, r.queryName, r.resourceName, r.metadata.query].some((v) => typeof v === 'string' && v.toLowerCase().includes('paym'))],
    ['free text with a LIKE wildcard taken literally', 'q=100%25', (r: Row) => r.queryName === 'refund_100%'],
    [
      'combined',
      `actionType=QUERY_RUN&actionType=QUERY_PREVIEW&userId=u-1&resourceName=stripe&from=${new Date(T0).toISOString()}`,
      (r: Row) => r.actionType.startsWith('QUERY') && r.userId === 'u-1' && r.resourceName === 'stripe',
    ],
  ])('filters by %s, newest first, through every page', async (_name, query, pick) => {
    const want = expected(pick);
    expect(want.length).toBeGreaterThan(0);
    expect(await allIds(query)).toEqual(want);
  });

  it('searches in the query language, ANDed with the fixed filters, through every page', async () => {
    const search = (text: string, extra = ''): Promise<string[]> => allIds(`search=${encodeURIComponent(text)}${extra}`);
    expect(await search('user:USER3@example.com action:query.*')).toEqual(expected((r) => r.userId === 'u-3' && r.actionType.startsWith('QUERY_')));
    expect(await search('-ip:2001:db8::/32 (resource:stripe OR paym)', '&actionType=QUERY_RUN')).toEqual(
      expected(
        (r) =>
          r.actionType === 'QUERY_RUN' &&
          r.ipAddress !== '2001:db8::1' &&
          (r.resourceName === 'stripe' || [r.pageName, r.queryName, r.resourceName, r.metadata.query].some((v) => typeof v === 'string' && v.toLowerCase().includes('paym'))),
      ),
    );
  });

  it('answers 400 naming the position, the term and what was expected for a search that does not parse', async () => {
    const problems = async (query: string): Promise<unknown> => {
      const res = await get(`/v1/events?${query}`);
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: { details: unknown } }).error.details;
    };
    expect(await problems(`search=${encodeURIComponent('action:login foo:bar')}`)).toEqual([
      { path: 'search', reason: expect.stringMatching(/^at character 13 \(foo:bar\): unknown qualifier foo: \(expected one of action: user:/) },
    ]);
    expect(await problems(`search=${encodeURIComponent('created:2026-01-31..2026-01-01')}`)).toEqual([
      { path: 'search', reason: 'at character 8 (2026-01-31..2026-01-01): created: the range is empty: it ends before it starts' },
    ]);
    expect(await problems('search=x&q=y')).toEqual([{ path: 'q', reason: 'cannot be combined with search: put the text into search' }]);
  });

  it('answers a page with summaries joined with the user, a default page size of 50, and no cursor on the last page', async () => {
    const res = await get('/v1/events');
    // Responses are not hashed for an ETag nobody revalidates with.
    expect(res.headers.get('etag')).toBeNull();
    const body = (await res.json()) as { items: Array<Record<string, unknown>>; nextCursor?: string };
    expect(body.items).toHaveLength(50);
    expect(typeof body.nextCursor).toBe('string');
    const newest = [...rows].sort(newestFirst)[0];
    expect(body.items[0]).toEqual({
      id: newest.id,
      actionType: newest.actionType,
      userId: newest.userId,
      user: newest.userId ? { email: `user${newest.userId.slice(2)}@example.com`, userName: `User ${newest.userId.slice(2)}` } : null,
      ipAddress: newest.ipAddress,
      responseTimeMs: newest.responseTimeMs,
      pageName: newest.pageName,
      queryName: newest.queryName,
      resourceName: newest.resourceName,
      createdAt: newest.createdAt,
      receivedAt: newest.receivedAt,
    });
    const last = (await (await get('/v1/events?limit=500')).json()) as { items: unknown[]; nextCursor?: string };
    expect(last.items).toHaveLength(rows.length);
    expect(last).not.toHaveProperty('nextCursor');
  });

  it('returns one event with everything stored, and the user of its own organization only', async () => {
    const run = rows.find((r) => r.actionType === 'QUERY_RUN' && r.userId !== null)!;
    const res = await get(`/v1/events/${run.id.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: run.id,
      organizationId: ORG,
      actionType: 'QUERY_RUN',
      userId: run.userId,
      user: { email: `user${run.userId!.slice(2)}@example.com`, userName: `User ${run.userId!.slice(2)}` },
      ipAddress: run.ipAddress,
      responseTimeMs: run.responseTimeMs,
      pageName: run.pageName,
      queryName: run.queryName,
      resourceName: run.resourceName,
      metadata: run.metadata,
      createdAt: run.createdAt,
      receivedAt: run.receivedAt,
    });
    // The other organization's events name user ids that this organization's users table also has.
    const foreign = otherRows.find((r) => r.userId === 'u-1')!;
    const seen = (await (await get(`/v1/events/${foreign.id}`, tokens.otherAdmin)).json()) as { user: unknown; userId: string };
    expect(seen).toMatchObject({ userId: 'u-1', user: null });
  });

  it("answers 404 for another organization's event, exactly as for one that does not exist", async () => {
    const theirs = await get(`/v1/events/${otherRows[0].id}`);
    const nobody = await get(`/v1/events/${randomUUID()}`);
    expect(theirs.status).toBe(404);
    expect(nobody.status).toBe(404);
    expect(Object.keys((await theirs.json()) as object)).toEqual(Object.keys((await nobody.json()) as object));
    const listed = (await (await get('/v1/events?limit=500', tokens.otherAdmin)).json()) as { items: Array<{ id: string }> };
    expect(listed.items.map((i) => i.id).sort()).toEqual(otherRows.map((r) => r.id).sort());
  });

  it('refuses a missing token (401) and a member (403)', async () => {
    for (const url of ['/v1/events', `/v1/events/${rows[0].id}`, '/v1/users']) {
      expect((await get(url, null)).status).toBe(401);
      expect((await get(url, tokens.member)).status).toBe(403);
    }
  });

  it('reads the admin token from Authorization: Bearer only: the same token in X-Api-Key is 401', async () => {
    const res = await fetch(`${service.url}/v1/events`, { headers: { 'x-api-key': tokens.admin } });
    expect(res.status).toBe(401);
    expect((await get('/v1/events')).status).toBe(200);
  });

  it('refuses (401, naming the claim) a token whose subject could not be recorded as the reader, or that never expires', async () => {
    const key = new TextEncoder().encode(SECRET);
    const signed = (claims: Record<string, unknown>, expires = true): Promise<string> => {
      const jwt = new SignJWT({ org: ORG, role: 'admin', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
      return (expires ? jwt.setExpirationTime('1h') : jwt).sign(key);
    };
    for (const [token, claim] of [
      [await signed({ sub: '' }), 'sub'],
      [await signed({ sub: 'a'.repeat(300) }), 'sub'],
      [await signed({ sub: 'ada\u0000' }), 'sub'],
      [await signed({ sub: 'ada' }, false), 'exp'],
    ] as const) {
      for (const url of ['/v1/events', '/v1/users']) {
        const res = await get(url, token);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`"${claim}"`);
      }
    }
  });

  it('marks every answer holding audit data Cache-Control: no-store', async () => {
    for (const url of ['/v1/events?limit=2', `/v1/events/${rows[0].id}`, '/v1/users']) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers /healthz while every Postgres read is blocked', async () => {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE audit_trail_events IN ACCESS EXCLUSIVE MODE');
      // More readers than the pool has connections, all waiting on the lock.
      const reads = Array.from({ length: 12 }, (_, i) => get(`/v1/events?limit=${101 + i}`).then((r) => r.status));
      await waitFor('the reads to wait on the lock', async () => {
        const [{ n }] = (await locker.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows;
        return n > 0 ? n : undefined;
      });
      const live = await fetch(`${service.url}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      await locker.query('ROLLBACK');
      // Each waiting read either ran once the lock went or outlived PG_READ_TIMEOUT_MS (2 s here).
      expect((await Promise.all(reads)).filter((status) => status !== 200 && status !== 504)).toEqual([]);
    } finally {
      await locker.end();
    }
  });

  it.each([
    ['limit=501', ['limit']],
    ['limit=0', ['limit']],
    ['from=yesterday', ['from']],
    ['to=2026-02-30T00:00:00Z', ['to']],
    [`from=${new Date(T0 + MINUTE).toISOString()}&to=${new Date(T0).toISOString()}`, ['from']],
    ['cursor=not-a-cursor', ['cursor']],
    [`cursor=${Buffer.from(JSON.stringify(['2026-10-01 00:00:00+00', 'x'])).toString('base64url')}`, ['cursor']],
    ['actionType=DROP_TABLE', ['actionType']],
    ['sort=asc&organizationId=other', ['sort', 'organizationId']],
    ['userId=a&userId=b', ['userId']],
    [`q=${'x'.repeat(300)}`, ['q']],
  ])('answers 400 naming the parameter for %s', async (query, paths) => {
    const res = await get(`/v1/events?${query}`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: Array<{ path: string }> } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d) => d.path).sort()).toEqual([...paths].sort());
  });

  it('reads a path with a trailing slash as the path without it', async () => {
    const res = await get('/v1/events/?actionType=LOGIN&limit=3');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(3);
  });

  it('answers 400 naming id for a malformed event id', async () => {
    const res = await get('/v1/events/1%27%20or%201=1');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: Array<{ path: string }> } }).error.details[0].path).toBe('id');
  });

  it('answers 504 QUERY_TIMEOUT for a read that outlives PG_READ_TIMEOUT_MS, and serves the next one', async () => {
    // A session holding the events table makes the read wait past its limit.
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE audit_trail_events IN ACCESS EXCLUSIVE MODE');
      const res = await get('/v1/events?q=payments');
      expect(res.status).toBe(504);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'QUERY_TIMEOUT',
        message: expect.stringContaining('narrow the time window or the filters'),
      });
      await locker.query('ROLLBACK');
      expect((await get('/v1/events?q=payments')).status).toBe(200);
    } finally {
      await locker.end();
    }
  });

  it('lists the organization’s users for the user filter', async () => {
    const body = (await (await get('/v1/users?q=USER3')).json()) as { items: unknown[] };
    expect(body.items).toEqual([{ id: 'u-3', email: 'user3@example.com', userName: 'User 3' }]);
    expect(((await (await get('/v1/users', tokens.otherAdmin)).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('pages through 2,000 events while inserts continue: each event seen exactly once', async () => {
    const original = dataset(PAGED, 2000, T0);
    await insertStoredEvents(db, original);
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    const token = await signer.sign({ organizationId: PAGED, role: 'admin' }, 3600);
    let inserting = true;
    let inserted = 0;
    const writer = (async () => {
      // New events land everywhere in the order: newer than every page, between pages, behind the cursor.
      for (let round = 0; inserting && round < 200; round++) {
        const batch = dataset(PAGED, 20, T0 - 500 * MINUTE + round * 7 * MINUTE);
        await insertStoredEvents(db, batch);
        inserted += batch.length;
      }
    })();
    const seen = new Map<string, number>();
    for (const id of await allIds('', 100, token)) seen.set(id, (seen.get(id) ?? 0) + 1);
    inserting = false;
    await writer;
    expect(inserted).toBeGreaterThan(0);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    expect(original.filter((r) => seen.get(r.id) !== 1)).toEqual([]);
  });

  it('records each view an administrator opens as one PAGE_VIEW of page "audit" on the canonical stream, its next pages covered by it', async () => {
    // A view no other test of this file opens (a query name of its own), so its record is this test's.
    const view = '/v1/events?actionType=LOGIN&queryName=read-audit-probe';
    const startedAt = Date.now();
    expect((await get(`${view}&limit=5`)).status).toBe(200);
    const recorded = async () =>
      (await readStream(bus.jsm, STREAMS.events))
        .map((m) => JSON.parse(m.data) as { actionType: string; organizationId: string; userId: string; pageName: string; metadata: { path: string; filters: Record<string, unknown> } })
        .filter((e) => e.metadata.path === '/v1/events' && e.metadata.filters.queryName === 'read-audit-probe');
    const views = await waitFor('the recorded view', async () => {
      const found = await recorded();
      return found.length > 0 ? found : undefined;
    });
    expect(views[0]).toMatchObject({ actionType: 'PAGE_VIEW', organizationId: ORG, userId: 'admin-1', pageName: 'audit', metadata: { filters: { actionType: 'LOGIN', limit: '5' } } });
    // The same view again, another page size: covered by the record above, within the window.
    expect((await get(`${view}&limit=7`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Unless the two reads fell in two of the (5-minute, clock-aligned) windows, which makes them two views.
    const window = 300_000;
    const windows = Math.floor(Date.now() / window) - Math.floor(startedAt / window) + 1;
    expect((await recorded()).length).toBeLessThanOrEqual(windows);
    // Refused reads are not recorded as views.
    const before = (await readStream(bus.jsm, STREAMS.events)).length;
    await get('/v1/events?limit=9999');
    await get('/v1/events', tokens.member);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await readStream(bus.jsm, STREAMS.events)).length).toBe(before);
  });

  it('answers in the shapes its own /v1/openapi.json documents, errors included', async () => {
    const doc = (await (await get('/v1/openapi.json', null)).json()) as { paths: object; components?: object };
    const answers: Array<[string, string, string | null]> = [
      // The data set also holds RESOURCE_UPDATE, written to Postgres directly: no action type of the contract.
      ['get /v1/events', '/v1/events?limit=3&actionType=QUERY_RUN', tokens.admin],
      ['get /v1/events/{id}', `/v1/events/${rows.find((r) => r.actionType === 'QUERY_RUN')?.id}`, tokens.admin],
      ['get /v1/users', '/v1/users', tokens.admin],
      ['get /v1/events', '/v1/events?limit=9999', tokens.admin],
      ['get /v1/events', '/v1/events', null],
      ['get /v1/events/{id}', `/v1/events/${randomUUID()}`, tokens.admin],
      ['get /healthz', '/healthz', null],
      ['get /readyz', '/readyz', null],
    ];
    for (const [route, url, token] of answers) {
      const res = await get(url, token);
      expect(answerDepartures(doc, route, res.status, await res.json())).toEqual([]);
    }
    const page = await get('/v1/reference', null);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<code>GET /v1/events/{id}</code>');
  });

  it('answers GET /v1/users with an empty q (the user filter opened before anything is typed) with the most recent users', async () => {
    const stored = await db.query<{ id: string }>(`SELECT id FROM users WHERE "organizationId" = $1 ORDER BY "updatedAt" DESC, id LIMIT 5`, [ORG]);
    expect(stored.length).toBeGreaterThan(0);
    const res = await get('/v1/users?q=&limit=5');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: Array<{ id: string }> }).items.map((u) => u.id)).toEqual(stored.map((u) => u.id));
    expect((await get('/v1/users?q=&q=')).status).toBe(400);
  });

  it('serves the console: index for /audit and its client routes, hashed assets cached, no traversal', async () => {
    const index = await fetch(`${service.url}/audit`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await index.text()).toContain('<div id="root">');
    expect(await (await fetch(`${service.url}/audit/events/123`)).text()).toContain('<div id="root">');
    const asset = await fetch(`${service.url}/audit/assets/app-1a2b.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('etag')).not.toBeNull();
    expect((await fetch(`${service.url}/audit/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${service.url}/audit/%2e%2e%2fpackage.json`)).status).toBe(404);
    // A malformed escape names no file: refused before routing, in the API's error shape.
    const malformed = await fetch(`${service.url}/audit/assets/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
  });
});
