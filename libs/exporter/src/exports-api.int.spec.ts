import { gunzipSync } from 'node:zlib';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { AuthModule, TokensService } from '@audit/auth';
import { MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import {
  allPages,
  answerDepartures,
  connectTestBus,
  createTestDatabase,
  insertStoredEvents,
  parseExport,
  readStream,
  startHttpApp,
  startTestNats,
  waitFor,
  type ExportEventRow,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';
import { EXPORT_COLUMNS } from './export-query';
import { ExportsApiModule, ExportWorkerModule } from './exporter.modules';
import type { ExportView } from './exports.service';

const DAY = 86_400_000;
const now = Date.now();
const at = (daysAgo: number, ms = 0): Date => new Date(Math.floor((now - daysAgo * DAY) / 1000) * 1000 + ms);
let seq = 0;
const row = (overrides: Partial<ExportEventRow>): ExportEventRow => {
  seq++;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    organizationId: 'acme',
    actionType: 'LOGIN',
    userId: null,
    ipAddress: null,
    responseTimeMs: null,
    pageName: null,
    queryName: null,
    resourceName: null,
    metadata: {},
    createdAt: at(2, seq),
    receivedAt: at(2, seq + 40),
    ...overrides,
  };
};

/** Inside the window [3 days ago, 1 day ago) and of the filtered types: these must be exported, newest first. */
const matching: ExportEventRow[] = [
  row({ userId: 'u1', ipAddress: '10.0.0.1', responseTimeMs: 12, pageName: 'Home, "quoted"', metadata: { note: 'line1\nline2', q: 'a,b', crlf: 'x\r\ny' }, createdAt: at(2.5, 1) }),
  row({ actionType: 'QUERY_RUN', userId: '=cmd|calc', queryName: '+SUM(A1)', resourceName: '-2+3', pageName: '@evil', metadata: { query: 'select 1', n: -1 }, createdAt: at(2.4, 2) }),
  row({ actionType: 'QUERY_RUN', userId: 'ünïcødé 用户 🚀', pageName: '\tTabbed', resourceName: '\rCR', ipAddress: '::1', responseTimeMs: 0, metadata: { emoji: '🚀', nested: { a: [1, 'two'] } }, createdAt: at(2.3, 3) }),
  row({ userId: 'u2', pageName: 'He said "hi"\nthen left', queryName: '', metadata: { s: '=1+1' }, createdAt: at(2.2, 4) }),
];
const excluded: ExportEventRow[] = [
  row({ actionType: 'LOGOUT', userId: 'u1', createdAt: at(2, 5) }),
  row({ userId: 'u-old', createdAt: at(3.5) }),
  row({ userId: 'u-late', createdAt: at(0.5) }),
  row({ organizationId: 'globex', userId: 'g1', createdAt: at(2, 6) }),
];

/** What a cell must read: formula-like text gets a leading quote; NULL is an empty cell. */
const cell = (value: string | null): string => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

describe('exports API and worker (local storage)', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let app: INestApplication;
  let url: string;
  let exportDir: string;
  let adminToken: string;
  let otherAdminToken: string;
  let memberToken: string;

  const api = (pathname: string, init: RequestInit & { token?: string } = {}): Promise<Response> =>
    fetch(`${url}${pathname}`, {
      ...init,
      headers: { 'Content-Type': 'application/json', ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...(init.headers ?? {}) },
    });
  const list = async (token: string): Promise<ExportView[]> => ((await (await api('/v1/exports', { token })).json()) as { items: ExportView[] }).items;
  const waitReady = (token: string, id: string): Promise<ExportView> =>
    waitFor(`export ${id} to be ready`, async () => {
      const job = (await list(token)).find((j) => j.id === id);
      if (job?.status === 'failed') throw new Error(`export failed: ${job.error}`);
      return job?.status === 'ready' ? job : undefined;
    });
  const requestExport = async (body: unknown): Promise<string> => {
    const res = await api('/v1/exports', { method: 'POST', token: adminToken, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    const json = (await res.json()) as { id: string; status: string };
    expect(json.status).toBe('pending');
    return json.id;
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_exports');
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    exportDir = mkdtempSync(path.join(tmpdir(), 'audit-exports-'));
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      AUTH_JWT_SECRET: 'exports-test-secret-exports-test-secret',
      EXPORT_DIR: exportDir,
      EXPORT_POLL_INTERVAL: '100ms',
      EXPORT_HEARTBEAT_INTERVAL: '200ms',
      EXPORT_LINK_TTL_SECONDS: '2',
      AUDIT_RETENTION_DAYS: '30',
      LOG_LEVEL: 'warn',
    });
    ({ app, url } = await startHttpApp([PlatformModule, MessagingModule, PersistenceModule, AuthModule, ExportsApiModule, ExportWorkerModule]));
    await insertStoredEvents(db, [...matching, ...excluded]);
    // u1's snapshot in this organization (a formula-like e-mail, neutralised like any cell), and another organization's u1.
    await db.query(
      `INSERT INTO users ("organizationId", id, email, "userName") VALUES ('acme', 'u1', '=u1@acme.test', 'Ursula One'), ('globex', 'u1', 'u1@globex.test', 'Not Ursula')`,
    );
    const tokens = app.get(TokensService);
    adminToken = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'admin-1' }, 3600);
    otherAdminToken = await tokens.sign({ organizationId: 'globex', role: 'admin', userId: 'admin-g' }, 3600);
    memberToken = await tokens.sign({ organizationId: 'acme', role: 'member', userId: 'm-1' }, 3600);
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('exports exactly the matching rows with exact values, and records PAGE_EXPORT', async () => {
    const filters = { from: at(3).toISOString(), to: at(1).toISOString(), actionType: ['LOGIN', 'QUERY_RUN'] };
    const id = await requestExport(filters);
    const job = await waitReady(adminToken, id);
    expect(job).toMatchObject({ rowCount: matching.length, totalRows: matching.length, progress: 1 });
    expect(job.sizeBytes).toBeGreaterThan(0);
    expect(job.downloadUrl).toMatch(new RegExp(`^/v1/exports/${id}/download\\?expires=\\d+&signature=[0-9a-f]{64}$`));

    // HEAD describes the file (a client checking the link or its size) but hands nothing out: no read is recorded for it.
    const head = await fetch(`${url}${job.downloadUrl}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(job.sizeBytes));
    expect(head.headers.get('content-disposition')).toMatch(new RegExp(`${id}\\.csv\\.gz"$`));
    const res = await fetch(`${url}${job.downloadUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(job.sizeBytes);
    const { header, rows, raw } = parseExport(body);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    // RFC 4180: every record ends with CRLF; line breaks inside quoted cells are data and stay as they were.
    expect(raw.endsWith('\r\n')).toBe(true);
    // Header + rows + the empty rest after the last CRLF (the CR LF inside metadata is JSON-escaped text).
    expect(raw.split('\r\n')).toHaveLength(matching.length + 2);
    expect(rows).toHaveLength(matching.length);
    const newestFirst = [...matching].reverse();
    rows.forEach((cells, i) => {
      const e = newestFirst[i];
      const { metadata, ...rest } = Object.fromEntries(EXPORT_COLUMNS.map((c, j) => [c, cells[j]]));
      expect(rest).toEqual({
        id: e.id,
        organizationId: e.organizationId,
        actionType: e.actionType,
        userId: cell(e.userId),
        userEmail: e.userId === 'u1' ? "'=u1@acme.test" : '',
        userName: e.userId === 'u1' ? 'Ursula One' : '',
        ipAddress: cell(e.ipAddress),
        responseTimeMs: e.responseTimeMs === null ? '' : String(e.responseTimeMs),
        pageName: cell(e.pageName),
        queryName: cell(e.queryName),
        resourceName: cell(e.resourceName),
        createdAt: e.createdAt.toISOString(),
        receivedAt: e.receivedAt.toISOString(),
      });
      expect(JSON.parse(metadata)).toEqual(e.metadata);
    });

    const recorded = (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as { actionType: string; userId: string; metadata: Record<string, unknown> });
    expect(recorded.filter((e) => e.actionType === 'PAGE_EXPORT')).toContainEqual(
      expect.objectContaining({ userId: 'admin-1', metadata: { exportId: id, filters: { ...filters, actionType: ['LOGIN', 'QUERY_RUN'] }, format: 'csv' } }),
    );    // The download through the signed link (no bearer) is a read of the data, by the administrator who asked for it.
    expect(recorded.filter((e) => e.actionType === 'PAGE_VIEW' && e.metadata.exportId === id)).toEqual([
      expect.objectContaining({ userId: 'admin-1', organizationId: 'acme', pageName: 'audit', metadata: { path: `/v1/exports/${id}/download`, exportId: id } }),
    ]);
  });

  it('exports JSON lines on request: one object per event, newest first, exact values, a .jsonl.gz file', async () => {
    const id = await requestExport({ from: at(3).toISOString(), to: at(1).toISOString(), actionType: ['LOGIN', 'QUERY_RUN'], format: 'jsonl' });
    const job = await waitReady(adminToken, id);
    expect(job).toMatchObject({ format: 'jsonl', rowCount: matching.length, totalRows: matching.length });
    const res = await fetch(`${url}${job.downloadUrl}`);
    expect(res.headers.get('content-disposition')).toMatch(/\.jsonl\.gz"$/);
    const lines = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toEqual(
      [...matching].reverse().map((e) => ({
        id: e.id,
        organizationId: e.organizationId,
        actionType: e.actionType,
        userId: e.userId,
        userEmail: e.userId === 'u1' ? '=u1@acme.test' : null,
        userName: e.userId === 'u1' ? 'Ursula One' : null,
        ipAddress: e.ipAddress,
        responseTimeMs: e.responseTimeMs,
        pageName: e.pageName,
        queryName: e.queryName,
        resourceName: e.resourceName,
        metadata: e.metadata,
        createdAt: e.createdAt.toISOString(),
        receivedAt: e.receivedAt.toISOString(),
      })),
    );
  });

  it('filters by user and by text the same way as the events API', async () => {
    const exported = async (filters: Record<string, unknown>): Promise<string[]> => {
      const job = await waitReady(adminToken, await requestExport({ from: at(3).toISOString(), to: at(1).toISOString(), ...filters }));
      return parseExport(Buffer.from(await (await fetch(`${url}${job.downloadUrl}`)).arrayBuffer())).rows.map((r) => r[0]);
    };
    expect(await exported({ userId: 'u2' })).toEqual([matching[3].id]);
    expect(await exported({ q: 'QUOTED' })).toEqual([matching[0].id]);
    // The query language, compiled for Postgres and inlined into the COPY like the other filters (newest first).
    expect(await exported({ search: 'ip:10.0.0.0/8' })).toEqual([matching[0].id]);
    expect(await exported({ search: 'action:queries -rt:>5' })).toEqual([matching[2].id, matching[1].id]);
    expect(await exported({ search: '"said \\"hi\\"" OR ip:::1' })).toEqual([matching[3].id, matching[2].id]);
  });

  it('refuses a search that does not parse, naming the position and what was expected', async () => {
    const res = await api('/v1/exports', { method: 'POST', token: adminToken, body: JSON.stringify({ from: at(3).toISOString(), to: at(1).toISOString(), search: 'created:2026-02-30' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: unknown } }).error.details).toEqual([{ path: 'search', reason: expect.stringMatching(/^at character 8 \(2026-02-30\): created: expected a date/) }]);
  });

  it('refuses bad requests, naming each bad field, and creates nothing', async () => {
    const before = (await list(adminToken)).length;
    const post = (body: unknown, token = adminToken) => api('/v1/exports', { method: 'POST', token, body: JSON.stringify(body) });
    const problems = async (res: Response) => {
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: { details: Array<{ path: string }> } }).error.details.map((d) => d.path).sort();
    };
    expect(await problems(await post({ to: at(1).toISOString() }))).toEqual(['from']);
    expect(await problems(await post({ from: at(3).toISOString() }))).toEqual(['to']);
    expect(await problems(await post({ from: at(1).toISOString(), to: at(3).toISOString() }))).toEqual(['from']);
    // AUDIT_RETENTION_DAYS=30: a window reaching further back than the retention is refused.
    expect(await problems(await post({ from: at(45).toISOString(), to: at(1).toISOString() }))).toEqual(['from']);
    expect(await problems(await post({ from: 'yesterday', to: at(1).toISOString(), actionType: 'NOPE', color: 'red' }))).toEqual(['actionType', 'color', 'from']);
    expect(await problems(await post({ from: at(3).toISOString(), to: at(1).toISOString(), format: 'xml' }))).toEqual(['format']);
    expect((await post([1, 2])).status).toBe(400);
    expect((await post({ from: at(3).toISOString(), to: at(1).toISOString() }, memberToken)).status).toBe(403);
    expect((await api('/v1/exports', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await api('/v1/exports')).status).toBe(401);
    expect((await list(adminToken)).length).toBe(before);
  });

  it('refuses a query parameter the export routes do not take, naming it: a format in the query is not applied', async () => {
    const before = (await list(adminToken)).length;
    const res = await api('/v1/exports?format=jsonl', { method: 'POST', token: adminToken, body: JSON.stringify({ from: at(3).toISOString(), to: at(1).toISOString() }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: Array<{ path: string }> } }).error.details).toEqual([expect.objectContaining({ path: 'format' })]);
    expect(await list(adminToken)).toHaveLength(before);
    // The token is checked first: without one it is still a 401.
    expect((await api('/v1/exports?format=jsonl', { method: 'POST', body: '{}' })).status).toBe(401);
    const job = await waitReady(adminToken, await requestExport({ from: at(3).toISOString(), to: at(1).toISOString() }));
    const extra = await fetch(`${url}${job.downloadUrl}&inline=1`);
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: { details: Array<{ path: string }> } }).error.details).toEqual([expect.objectContaining({ path: 'inline' })]);
  });

  it('answers in the shapes its own /v1/openapi.json documents, errors included', async () => {
    const doc = (await (await api('/v1/openapi.json')).json()) as { paths: object; components?: object };
    const post = (body: unknown, token?: string) => api('/v1/exports', { method: 'POST', token, body: JSON.stringify(body) });
    const accepted = await post({ from: at(3).toISOString(), to: at(1).toISOString(), actionType: ['LOGIN'] }, adminToken);
    const { id } = (await accepted.clone().json()) as { id: string };
    await waitReady(adminToken, id);
    const answers: Array<[string, Response]> = [
      ['post /v1/exports', accepted],
      ['post /v1/exports', await post({ to: at(1).toISOString() }, adminToken)],
      ['post /v1/exports', await post({ from: at(3).toISOString(), to: at(1).toISOString() }, memberToken)],
      ['post /v1/exports', await post({})],
      ['get /v1/exports', await api('/v1/exports?limit=2', { token: adminToken })],
      ['get /v1/exports', await api('/v1/exports?limit=0', { token: adminToken })],
      ['get /v1/exports/{id}/download', await api(`/v1/exports/${id}/download?expires=1&signature=x`)],
    ];
    expect(answers.map(([, res]) => res.status)).toEqual([202, 400, 403, 401, 200, 400, 403]);
    for (const [route, res] of answers) expect(answerDepartures(doc, route, res.status, await res.json())).toEqual([]);
  });

  it('links: work before expiry, 410 after, 403 when tampered, and listing again issues a fresh link', async () => {
    const id = await requestExport({ from: at(3).toISOString(), to: at(1).toISOString() });
    const job = await waitReady(adminToken, id);
    const link = job.downloadUrl as string;
    expect(Date.parse(job.expiresAt as string) - Date.now()).toBeLessThanOrEqual(2_000);

    const tampered = link.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`);
    expect((await fetch(`${url}${tampered}`)).status).toBe(403);
    const longer = link.replace(/expires=(\d+)/, (_m, e: string) => `expires=${Number(e) + 3600}`);
    expect((await fetch(`${url}${longer}`)).status).toBe(403);
    expect((await fetch(`${url}/v1/exports/${id}/download`)).status).toBe(403);
    expect((await fetch(`${url}${tampered}`, { method: 'HEAD' })).status).toBe(403);
    expect((await fetch(`${url}${link}`)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(`${url}${link}`, { method: 'HEAD' })).status).toBe(410);
    const expired = await fetch(`${url}${link}`);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('GONE');

    const fresh = (await list(adminToken)).find((j) => j.id === id) as ExportView;
    expect(fresh.status).toBe('ready');
    expect(fresh.downloadUrl).not.toBe(link);
    expect((await fetch(`${url}${fresh.downloadUrl}`)).status).toBe(200);
  }, 30_000);

  it('removes the file once it is past its keep time: 410 and the job is expired', async () => {
    const id = await requestExport({ from: at(3).toISOString(), to: at(1).toISOString() });
    const job = await waitReady(adminToken, id);
    const [{ storageKey }] = await db.query<{ storageKey: string }>('SELECT "storageKey" FROM export_jobs WHERE id = $1', [id]);
    const file = path.join(exportDir, storageKey);
    expect(existsSync(file)).toBe(true);
    // The keep time (EXPORT_FILE_TTL, 24 h by default) has passed.
    await db.query(`UPDATE export_jobs SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [id]);
    expect((await fetch(`${url}${job.downloadUrl}`)).status).toBe(410);
    expect(existsSync(file)).toBe(false);
    const after = (await list(adminToken)).find((j) => j.id === id) as ExportView;
    expect(after.status).toBe('expired');
    expect(after.downloadUrl).toBeUndefined();
    expect((await fetch(`${url}${job.downloadUrl}`)).status).toBe(410);
  });

  it('keeps organizations apart: another organization neither lists nor downloads the job', async () => {
    const id = await requestExport({ from: at(3).toISOString(), to: at(1).toISOString() });
    const job = await waitReady(adminToken, id);
    expect((await list(otherAdminToken)).map((j) => j.id)).not.toContain(id);
    // Without the link's signature the job cannot be fetched, whatever the token.
    expect((await api(`/v1/exports/${id}/download`, { token: otherAdminToken })).status).toBe(403);
    // With the link but another organization's session: not found.
    expect((await api(job.downloadUrl as string, { token: otherAdminToken })).status).toBe(404);
    expect((await api(job.downloadUrl as string, { token: adminToken })).status).toBe(200);
    // globex's own export holds only globex's row.
    const res = await api('/v1/exports', { method: 'POST', token: otherAdminToken, body: JSON.stringify({ from: at(3).toISOString(), to: at(1).toISOString() }) });
    const globexId = ((await res.json()) as { id: string }).id;
    const globexJob = await waitReady(otherAdminToken, globexId);
    const { rows } = parseExport(Buffer.from(await (await fetch(`${url}${globexJob.downloadUrl}`)).arrayBuffer()));
    expect(rows.map((r) => r[3])).toEqual(['g1']);
    expect(readdirSync(path.join(exportDir, 'globex'))).toHaveLength(1);
  });
  it('treats filter values as data, never as SQL, in the COPY statement', async () => {
    const id = await requestExport({
      from: at(3).toISOString(),
      to: at(1).toISOString(),
      userId: "x'); DROP TABLE audit_trail_events; --",
      pageName: '$1',
      q: "\\'%_",
    });
    const job = await waitReady(adminToken, id);
    expect(job.rowCount).toBe(0);
    const { header, rows } = parseExport(Buffer.from(await (await fetch(`${url}${job.downloadUrl}`)).arrayBuffer()));
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(rows).toEqual([]);
    expect((await db.query<{ n: string }>('SELECT count(*) AS n FROM audit_trail_events'))[0].n).toBe(String(matching.length + excluded.length));
  });

  it('pages GET /v1/exports beyond the newest 100 jobs with nextCursor: every job once, newest first', async () => {
    // 230 jobs, three to a timestamp, so pages must break ties by id; failed, so no worker picks them up.
    await db.query(
      `INSERT INTO export_jobs (id, "organizationId", filters, status, error, "createdAt")
       SELECT gen_random_uuid(), 'paged', '{}', 'failed', 'test', timestamptz '2026-01-01T00:00:00Z' + (n / 3) * interval '1 millisecond'
       FROM generate_series(1, 230) n`,
    );
    const expected = (await db.query<{ id: string }>(`SELECT id FROM export_jobs WHERE "organizationId" = 'paged' ORDER BY "createdAt" DESC, id DESC`)).map((r) => r.id);
    const token = await app.get(TokensService).sign({ organizationId: 'paged', role: 'admin', userId: 'admin-p' }, 600);
    const listing = await api('/v1/exports', { token });
    expect(listing.headers.get('cache-control')).toBe('no-store');
    const first = (await listing.json()) as { items: ExportView[]; nextCursor?: string };
    expect(first.items).toHaveLength(100);
    for (const limit of [37, 100]) {
      const seen = await allPages(async (cursor: string | undefined) => {
        const res = await api(`/v1/exports?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { items: ExportView[]; nextCursor?: string };
        return { items: body.items, next: body.nextCursor };
      }, 20);
      expect(seen.map((j) => j.id)).toEqual(expected);
    }
    for (const [query, path] of [['limit=101', 'limit'], ['limit=0', 'limit'], ['cursor=nope', 'cursor'], ['page=2', 'page']]) {
      const res = await api(`/v1/exports?${query}`, { token });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { details: Array<{ path: string }> } }).error.details.map((d) => d.path)).toEqual([path]);
    }
    // The list of export jobs (which the console polls) shows no audit data of its own: no listing is recorded.
    // The exports themselves are (PAGE_EXPORT when asked, PAGE_VIEW when downloaded).
    const views = (await readStream(bus.jsm, STREAMS.events))
      .map((m) => JSON.parse(m.data) as { actionType: string; organizationId: string; userId: string; metadata: { path: string } })
      .filter((e) => e.organizationId === 'paged' && e.actionType === 'PAGE_VIEW');
    expect(views).toEqual([]);
    // Another organization's listing never reaches these jobs, cursor or not.
    const other = (await (await api(`/v1/exports?cursor=${first.nextCursor}`, { token: otherAdminToken })).json()) as { items: ExportView[] };
    expect(other.items.filter((j) => expected.includes(j.id))).toEqual([]);
  });

  it('hands out no file whose download cannot be recorded (bus down → 503), and a download works again once the bus is back', async () => {
    const id = await requestExport({ from: at(3).toISOString(), to: at(1).toISOString() });
    const link = (await waitReady(adminToken, id)).downloadUrl as string;
    await nats.stop();
    try {
      const res = await fetch(`${url}${link}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BUS_UNAVAILABLE');
    } finally {
      await nats.start();
    }
    // The link lives 2 s here: list again for a fresh one.
    const fresh = await waitFor('a download once the bus is back', async () => {
      const listing = await api('/v1/exports', { token: adminToken });
      if (listing.status !== 200) return undefined;
      const job = ((await listing.json()) as { items: ExportView[] }).items.find((j) => j.id === id);
      const res = await fetch(`${url}${job?.downloadUrl}`);
      return res.status === 200 ? res : undefined;
    });
    expect(fresh.headers.get('content-type')).toBe('application/gzip');
  }, 60_000);

  it('creates no job when its PAGE_EXPORT event cannot be recorded (bus down → 503)', async () => {
    const before = (await list(adminToken)).length;
    await nats.stop();
    try {
      const res = await api('/v1/exports', { method: 'POST', token: adminToken, body: JSON.stringify({ from: at(3).toISOString(), to: at(1).toISOString() }) });
      expect(res.status).toBe(503);
      // The listing of jobs holds no audit data and records nothing: it is still served, without the refused job.
      expect((await list(adminToken)).length).toBe(before);
    } finally {
      await nats.start();
    }
  }, 30_000);
});
