import type { ActionType, AuditEventInput } from '@audit/contracts';
import { STREAMS } from '@audit/messaging';
import { TokensService } from '@audit/auth';
import {
  answerDepartures,
  connectTestBus,
  runCliProcess,
  STACK_JWT_SECRET,
  startServiceStack,
  waitFor,
  waitForConsumerIdle,
  type RunningService,
  type ServiceStack,
  type TestBus,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';

jest.setTimeout(60_000);

const SECRET = STACK_JWT_SECRET;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ORG = 'org-analytics';
const OTHER = 'org-analytics-other';
const NOBODY = 'org-analytics-empty';

/** One event as the test knows it: what was sent, with the id ingest gave it. */
type Known = Required<Pick<AuditEventInput, 'actionType'>> & {
  id: string;
  organizationId: string;
  userId: string | null;
  email: string | null;
  userName: string | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  t: number;
};
interface Window {
  from: number;
  to: number;
}
type Interval = 'minute' | 'hour' | 'day';

// ---- Expected values, computed here from the known data set, without ClickHouse ----

const inWindow = (events: readonly Known[], w: Window): Known[] => events.filter((e) => e.t >= w.from && e.t < w.to);

function expectedSeries(events: readonly Known[], w: Window, interval: Interval, types: string[] = []) {
  const size = { minute: 60_000, hour: HOUR, day: DAY }[interval];
  const counts = new Map<string, { bucket: string; actionType: string; count: number }>();
  for (const e of inWindow(events, w)) {
    if (types.length > 0 && !types.includes(e.actionType)) continue;
    const bucket = new Date(Math.floor(e.t / size) * size).toISOString();
    const item = counts.get(`${bucket}|${e.actionType}`) ?? { bucket, actionType: e.actionType, count: 0 };
    item.count += 1;
    counts.set(`${bucket}|${e.actionType}`, item);
  }
  // ORDER BY bucket, actionType (byte order).
  return [...counts.values()].sort((a, b) => (a.bucket !== b.bucket ? (a.bucket < b.bucket ? -1 : 1) : a.actionType < b.actionType ? -1 : 1));
}

function expectedTopUsers(events: readonly Known[], w: Window, limit: number, types: string[] = []) {
  const users = new Map<string, { userId: string; email: string | null; userName: string | null; count: number; emailAt: number; nameAt: number }>();
  for (const e of inWindow(events, w)) {
    if (e.userId === null) continue;
    const u = users.get(e.userId) ?? { userId: e.userId, email: null, userName: null, count: 0, emailAt: -1, nameAt: -1 };
    if (types.length === 0 || types.includes(e.actionType)) u.count += 1;
    // argMax(userEmail, createdAt): the snapshot of the user's latest event in the window that carried one,
    // whatever its action type (NULLs are skipped).
    if (e.email !== null && e.t > u.emailAt) [u.email, u.emailAt] = [e.email, e.t];
    if (e.userName !== null && e.t > u.nameAt) [u.userName, u.nameAt] = [e.userName, e.t];
    users.set(e.userId, u);
  }
  return [...users.values()]
    .filter((u) => u.count > 0)
    .sort((a, b) => b.count - a.count || (a.userId < b.userId ? -1 : 1))
    .slice(0, limit)
    .map(({ userId, email, userName, count }) => ({ userId, email, userName, count }));
}

/**
 * ClickHouse `quantileExact(level)` semantics: the element at index floor(level × n) of the sorted values
 * (the last one when that index is n), i.e. no interpolation; for an even n the median is the upper one.
 */
const quantileExact = (sorted: number[], level: number): number => sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))];

function expectedResponseTimes(events: readonly Known[], w: Window, groupBy: 'pageName' | 'queryName' | 'resourceName', limit: number) {
  const groups = new Map<string, number[]>();
  for (const e of inWindow(events, w)) {
    const name = e[groupBy];
    if (name === null || e.responseTimeMs === null) continue;
    groups.set(name, [...(groups.get(name) ?? []), e.responseTimeMs]);
  }
  return [...groups.entries()]
    .map(([name, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { name, count: sorted.length, p50: quantileExact(sorted, 0.5), p95: quantileExact(sorted, 0.95), p99: quantileExact(sorted, 0.99), max: sorted[sorted.length - 1] };
    })
    .sort((a, b) => b.p95 - a.p95 || (a.name < b.name ? -1 : 1))
    .slice(0, limit);
}

function expectedSummary(events: readonly Known[], w: Window) {
  const inside = inWindow(events, w);
  const counts = new Map<string, number>();
  for (const e of inside) counts.set(e.actionType, (counts.get(e.actionType) ?? 0) + 1);
  return {
    total: inside.length,
    distinctUsers: new Set(inside.filter((e) => e.userId !== null).map((e) => e.userId)).size,
    distinctIps: new Set(inside.filter((e) => e.ipAddress !== null).map((e) => e.ipAddress)).size,
    items: [...counts.entries()].map(([actionType, count]) => ({ actionType, count })).sort((a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType)),
  };
}

/**
 * The analytics API of a standalone process, as an administrator uses it: a known data set goes in through
 * POST /v1/events, and every number each endpoint answers is checked against a count computed here (and
 * against SQL on Postgres for the totals), over windows whose edges fall inside hours, where the service
 * combines the hourly rollup with raw rows.
 */
describe('analytics API (standalone, embedded ClickHouse)', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let service: RunningService;
  let stack: ServiceStack | undefined;
  const tokens: Record<'admin' | 'member' | 'otherAdmin' | 'nobodyAdmin' | 'wrongSecret' | 'expired', string> = {} as never;
  const known: Known[] = [];
  const other: Known[] = [];

  // The data set: 1.5 days ago up to 7 hours ago, hour-aligned base, so it crosses a day boundary.
  const now = Date.now();
  const BASE = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate()) - 36 * HOUR;
  const W1: Window = { from: BASE + HOUR + 17 * 60_000 + 23_456, to: BASE + 26 * HOUR + 41 * 60_000 + 7_891 };
  const FULL: Window = { from: BASE - HOUR, to: BASE + 31 * HOUR };
  // The whole UTC day [BASE + 12 h, BASE + 36 h) inside, where the daily per-user rollup answers, and
  // partial days at both edges, read from the events.
  const DAYS: Window = { from: BASE + 3 * HOUR + 17_000, to: BASE + 36 * HOUR + 5 * 60_000 + 3 };

  const TYPES: ActionType[] = ['QUERY_RUN', 'QUERY_RUN', 'PAGE_VIEW', 'LOGIN', 'QUERY_RUN', 'CREATE_RESOURCE', 'PAGE_VIEW', 'LOGOUT', 'RUN_WORKFLOW'];
  const make = (i: number, t: number, org = ORG): AuditEventInput => {
    const actionType = TYPES[i % TYPES.length];
    // 23 users, skewed (user-22 is the most active), with ties; every tenth event has no user.
    const userId = i % 10 === 9 ? null : `user-${String(Math.floor(Math.sqrt((i * 7919) % 529))).padStart(2, '0')}`;
    return {
      organizationId: org,
      actionType,
      userId,
      // The snapshot changes every 200 events; some events carry none (their email is NULL in ClickHouse).
      user: userId && i % 7 !== 0 ? { email: `${userId}@v${Math.floor(i / 200)}.example.com`, userName: `User ${userId} v${Math.floor(i / 200)}` } : null,
      ipAddress: i % 8 === 0 ? null : i % 3 === 0 ? `2001:db8::${(i % 23).toString(16)}` : `198.51.100.${i % 41}`,
      responseTimeMs: i % 11 === 0 ? null : (i * 7919) % 2003,
      pageName: actionType === 'PAGE_VIEW' || actionType === 'QUERY_RUN' ? `Page ${i % 4}` : null,
      queryName: actionType === 'QUERY_RUN' ? `query${i % 5}` : null,
      resourceName: actionType === 'CREATE_RESOURCE' || actionType === 'QUERY_RUN' ? ['pg-main', 'rest-api', 's3'][i % 3] : null,
      metadata: { i },
      createdAt: new Date(t).toISOString(),
    };
  };
  const asKnown = (input: AuditEventInput, id: string): Known => ({
    id,
    organizationId: input.organizationId,
    actionType: input.actionType,
    userId: input.userId ?? null,
    email: input.user?.email ?? null,
    userName: input.user?.userName ?? null,
    ipAddress: input.ipAddress ?? null,
    responseTimeMs: input.responseTimeMs ?? null,
    pageName: input.pageName ?? null,
    queryName: input.queryName ?? null,
    resourceName: input.resourceName ?? null,
    t: Date.parse(input.createdAt as string),
  });

  const ingest = async (key: string, inputs: AuditEventInput[], into: Known[]): Promise<void> => {
    const res = await fetch(`${service.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(inputs),
    });
    const body = (await res.json()) as { ids?: string[] };
    if (res.status !== 202 || body.ids?.length !== inputs.length) throw new Error(`POST /v1/events answered ${res.status}: ${JSON.stringify(body)}`);
    inputs.forEach((input, i) => into.push(asKnown(input, (body.ids as string[])[i])));
  };
  const createKey = async (org: string): Promise<string> => {
    const out = await runCliProcess(['keys', 'create', '--org', org, '--json'], { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET });
    if (out.code !== 0) throw new Error(`keys create failed: ${out.stderr}`);
    return (JSON.parse(out.stdout) as { key: string }).key;
  };

  const iso = (t: number): string => new Date(t).toISOString();
  const windowQuery = (w: Window): Record<string, string> => ({ from: iso(w.from), to: iso(w.to) });
  /** GET with a query (values may repeat) and a bearer token (the admin's by default, none for null); the body parsed. */
  const get = async <T = Record<string, unknown>>(
    endpoint: string,
    query: Record<string, string | string[]> | string = {},
    token: string | null = tokens.admin,
  ): Promise<{ status: number; body: T; text: string }> => {
    let qs: string;
    if (typeof query === 'string') qs = query;
    else {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const value of Array.isArray(v) ? v : [v]) params.append(k, value);
      qs = params.toString();
    }
    const res = await fetch(`${service.url}/v1/analytics/${endpoint}${qs ? `?${qs}` : ''}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as T, text };
  };
  const ok = async <T = Record<string, unknown>>(endpoint: string, query: Record<string, string | string[]> | string, token: string | null = tokens.admin): Promise<T> => {
    const res = await get<T>(endpoint, query, token);
    if (res.status !== 200) throw new Error(`GET ${endpoint} answered ${res.status}: ${res.text}`);
    return res.body;
  };

  beforeAll(async () => {
    stack = await startServiceStack('standalone', {
      ANALYTICS_MAX_WINDOW: '3d',
      PROJECTOR_FLUSH_INTERVAL: '50ms',
      WRITER_FLUSH_INTERVAL: '50ms',
    }, { dbPrefix: 'analytics_e2e' });
    ({ db, nats, service } = stack);
    bus = await connectTestBus(nats.url);
    const [key, otherKey] = await Promise.all([createKey(ORG), createKey(OTHER)]);
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    tokens.admin = await signer.sign({ organizationId: ORG, role: 'admin', userId: 'admin-1' }, 3600);
    tokens.member = await signer.sign({ organizationId: ORG, role: 'member' }, 3600);
    tokens.otherAdmin = await signer.sign({ organizationId: OTHER, role: 'admin' }, 3600);
    tokens.nobodyAdmin = await signer.sign({ organizationId: NOBODY, role: 'admin' }, 3600);
    tokens.wrongSecret = await new TokensService({ jwtSecret: new TextEncoder().encode(`${SECRET}-not-this-one`), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 }).sign({ organizationId: ORG, role: 'admin' }, 3600);
    tokens.expired = await signer.sign({ organizationId: ORG, role: 'admin' }, -60);

    // 600 events every 2m53.003s from BASE + 7 min, plus events exactly on the edges that matter:
    // the window's from (in) and to (out), 1 ms before to (in), hours and a day boundary.
    const inputs = Array.from({ length: 600 }, (_, i) => make(i, BASE + 7 * 60_000 + i * 173_003));
    const edges = [W1.from, W1.to, W1.to - 1, W1.from - 1, BASE + 2 * HOUR, BASE + 26 * HOUR, BASE + 12 * HOUR, BASE + 12 * HOUR - 1, BASE + 5 * HOUR];
    edges.forEach((t, j) => inputs.push(make(600 + j, t)));
    await ingest(key, inputs, known);
    // Another organization, same user ids and times: never part of this one's numbers.
    await ingest(
      otherKey,
      Array.from({ length: 40 }, (_, i) => make(i, BASE + 3 * HOUR + i * 611_111, OTHER)),
      other,
    );

    // ClickHouse has it all: the projector consumed everything, and the summary endpoint counts it.
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 30_000);
    await waitFor(`summary total ${known.length}`, async () => (await ok<{ total: number }>('summary', windowQuery(FULL))).total === known.length, 15_000);
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
  }, 60_000);

  // Windows over which every number is checked: edges inside hours (the rollup and raw rows meet there),
  // inside one hour, across one boundary by a millisecond each side, hour-aligned, half-aligned, empty.
  const WINDOWS: Record<string, () => Window> = {
    'unaligned, 25 hours': () => W1,
    'inside one hour': () => ({ from: BASE + 5 * HOUR + 10 * 60_000, to: BASE + 5 * HOUR + 50 * 60_000 }),
    'one boundary, a millisecond each side': () => ({ from: BASE + 5 * HOUR - 1, to: BASE + 5 * HOUR + 1 }),
    'hour-aligned': () => ({ from: BASE + 2 * HOUR, to: BASE + 12 * HOUR }),
    'aligned from, unaligned to': () => ({ from: BASE + 2 * HOUR, to: BASE + 12 * HOUR + 59_999 }),
    'everything': () => FULL,
    'a whole UTC day, partial days each side': () => DAYS,
    'day-aligned (an event on midnight, one a millisecond before)': () => ({ from: BASE + 12 * HOUR, to: BASE + 36 * HOUR }),
    'empty (from = to)': () => ({ from: W1.from, to: W1.from }),
  };

  it('the data set is what Postgres holds (the direct count the API is checked against)', async () => {
    expect(known).toHaveLength(609);
    const pg = await db.query<{ actionType: string; n: number }>(
      `SELECT "actionType", count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 AND "createdAt" >= $2 AND "createdAt" < $3 GROUP BY 1`,
      [ORG, iso(W1.from), iso(W1.to)],
    );
    const summary = expectedSummary(known, W1);
    expect(Object.fromEntries(pg.map((r) => [r.actionType, r.n]))).toEqual(Object.fromEntries(summary.items.map((i) => [i.actionType, i.count])));
    expect(summary.total).toBeGreaterThan(500);
  });

  describe.each(Object.entries(WINDOWS))('window: %s', (_name, window) => {
    it('timeseries per minute, hour and day, with and without an actionType filter, equals the exact counts', async () => {
      const w = window();
      for (const interval of ['minute', 'hour', 'day'] as const) {
        for (const types of [[], ['QUERY_RUN'], ['LOGIN', 'PAGE_VIEW']]) {
          const body = await ok<{ items: unknown[] }>('timeseries', { ...windowQuery(w), interval, actionType: types });
          expect({ interval, types, items: body.items }).toEqual({ interval, types, items: expectedSeries(known, w, interval, types) });
        }
      }
    });

    it('summary: totals per action type, distinct users and IPs', async () => {
      const w = window();
      expect(await ok('summary', windowQuery(w))).toEqual(expectedSummary(known, w));
    });
  });

  it("timeseries and count follow every filter of the list (user, page, query, resource, text, an excluded page), exactly", async () => {
    const contains = (value: string | null, text: string) => value !== null && value.toLowerCase().includes(text.toLowerCase());
    const cases: Array<[Record<string, string | string[]>, (e: Known) => boolean]> = [
      [{}, () => true],
      [{ actionType: ['QUERY_RUN', 'LOGIN'] }, (e) => e.actionType === 'QUERY_RUN' || e.actionType === 'LOGIN'],
      [{ userId: 'user-22' }, (e) => e.userId === 'user-22'],
      [{ pageName: 'Page 1', actionType: 'QUERY_RUN' }, (e) => e.pageName === 'Page 1' && e.actionType === 'QUERY_RUN'],
      [{ queryName: 'query3', resourceName: 's3' }, (e) => e.queryName === 'query3' && e.resourceName === 's3'],
      [{ ipAddress: '198.51.100.7' }, (e) => e.ipAddress === '198.51.100.7'],
      // Case-insensitive, in the page, query or resource name; LIKE's wildcards match as typed.
      [{ q: 'PAGE 2' }, (e) => [e.pageName, e.queryName, e.resourceName].some((v) => contains(v, 'PAGE 2'))],
      [{ q: 'rest-' }, (e) => [e.pageName, e.queryName, e.resourceName].some((v) => contains(v, 'rest-'))],
      [{ q: '%' }, () => false],
      // The log's own reads (PAGE_VIEW of page "audit") left out; this data set has none, so it changes nothing here.
      [{ hideAuditReads: 'true', actionType: 'PAGE_VIEW' }, (e) => e.actionType === 'PAGE_VIEW' && e.pageName !== 'audit'],
    ];
    for (const w of [W1, DAYS]) {
      for (const [filters, keep] of cases) {
        const matching = known.filter(keep);
        const count = await ok<{ count: number; approximate: boolean }>('count', { ...windowQuery(w), ...filters });
        expect({ filters, count }).toEqual({ filters, count: { count: inWindow(matching, w).length, approximate: false } });
        for (const interval of ['minute', 'hour', 'day'] as const) {
          const body = await ok<{ items: unknown[] }>('timeseries', { ...windowQuery(w), interval, ...filters });
          expect({ filters, interval, items: body.items }).toEqual({ filters, interval, items: expectedSeries(matching, w, interval) });
        }
      }
    }
    expect((await get('count', { ...windowQuery(W1), pageName: '' })).status).toBe(400);
    expect((await get('count', { ...windowQuery(W1), nope: 'x' })).status).toBe(400);
  });

  it('the edges are exact: an event at from counts, one at to does not, and hour sums equal the raw count', async () => {
    const series = await ok<{ items: Array<{ bucket: string; count: number }> }>('timeseries', { ...windowQuery(W1), interval: 'hour' });
    const firstHour = new Date(Math.floor(W1.from / HOUR) * HOUR).toISOString();
    const lastHour = new Date(Math.floor(W1.to / HOUR) * HOUR).toISOString();
    const sum = (bucket: string) => series.items.filter((i) => i.bucket === bucket).reduce((s, i) => s + i.count, 0);
    expect(sum(firstHour)).toBe(known.filter((e) => e.t >= W1.from && e.t < Math.ceil(W1.from / HOUR) * HOUR).length);
    expect(sum(lastHour)).toBe(known.filter((e) => e.t >= Math.floor(W1.to / HOUR) * HOUR && e.t < W1.to).length);
    expect(series.items.reduce((s, i) => s + i.count, 0)).toBe(inWindow(known, W1).length);
    // Moving `to` by one millisecond onto the event at W1.to takes it in.
    const wider = await ok<{ total: number }>('summary', windowQuery({ from: W1.from, to: W1.to + 1 }));
    const narrower = await ok<{ total: number }>('summary', windowQuery({ from: W1.from + 1, to: W1.to }));
    expect([wider.total, narrower.total]).toEqual([inWindow(known, W1).length + 1, inWindow(known, W1).length - 1]);
  });

  it('top users: counts, the latest email and userName, the limit, and an action type filter', async () => {
    const all = await ok<{ items: unknown[] }>('top-users', windowQuery(W1));
    expect(all.items).toEqual(expectedTopUsers(known, W1, 10));
    expect(all.items).toHaveLength(10);
    expect(await ok('top-users', { ...windowQuery(W1), limit: '3' })).toEqual({ items: expectedTopUsers(known, W1, 3) });
    expect(await ok('top-users', { ...windowQuery(FULL), limit: '1000' })).toEqual({ items: expectedTopUsers(known, FULL, 1000) });
    expect(await ok('top-users', { ...windowQuery(W1), actionType: ['LOGIN', 'LOGOUT'], limit: '50' })).toEqual({
      items: expectedTopUsers(known, W1, 50, ['LOGIN', 'LOGOUT']),
    });
    // Whole days from the daily rollup (counts per action type, merged newest snapshots) plus the edges.
    for (const w of [DAYS, { from: BASE + 12 * HOUR, to: BASE + 36 * HOUR }]) {
      expect(await ok('top-users', { ...windowQuery(w), limit: '1000' })).toEqual({ items: expectedTopUsers(known, w, 1000) });
      expect(await ok('top-users', { ...windowQuery(w), actionType: ['LOGIN', 'QUERY_RUN'], limit: '1000' })).toEqual({
        items: expectedTopUsers(known, w, 1000, ['LOGIN', 'QUERY_RUN']),
      });
    }
    // The data set makes those cases matter: snapshots changed over time (the newest is answered, not the
    // first), and for some users the newest event carried no snapshot (skipped, as argMax skips NULLs).
    const full = expectedTopUsers(known, FULL, 1000);
    expect(full.filter((u) => u.email?.includes('@v2.')).length).toBeGreaterThan(5);
    const latest = new Map<string, Known>();
    for (const e of known) if (e.userId && (latest.get(e.userId)?.t ?? -1) < e.t) latest.set(e.userId, e);
    expect([...latest.values()].filter((e) => e.email === null).length).toBeGreaterThan(0);
  });

  it('response times: count, p50/p95/p99 (quantileExact) and max per pageName, queryName and resourceName, with limit', async () => {
    for (const groupBy of ['pageName', 'queryName', 'resourceName'] as const) {
      const body = await ok<{ items: unknown[] }>('response-times', { ...windowQuery(W1), groupBy });
      expect({ groupBy, items: body.items }).toEqual({ groupBy, items: expectedResponseTimes(known, W1, groupBy, 20) });
      expect(body.items.length).toBeGreaterThanOrEqual(3);
    }
    expect(await ok('response-times', { ...windowQuery(FULL), groupBy: 'queryName', limit: '2' })).toEqual({ items: expectedResponseTimes(known, FULL, 'queryName', 2) });
    // groupBy defaults to queryName.
    expect(await ok('response-times', windowQuery(W1))).toEqual({ items: expectedResponseTimes(known, W1, 'queryName', 20) });
  });

  it('every endpoint follows a search, ANDed with its fixed parameters', async () => {
    const search = 'action:QUERY_RUN,LOGIN -user:user-22';
    const matching = known.filter((e) => ['QUERY_RUN', 'LOGIN'].includes(e.actionType) && e.userId !== 'user-22');
    expect(await ok('summary', { ...windowQuery(DAYS), search })).toEqual(expectedSummary(matching, DAYS));
    expect(await ok('timeseries', { ...windowQuery(W1), interval: 'hour', search, actionType: 'LOGIN' })).toEqual({
      items: expectedSeries(matching, W1, 'hour', ['LOGIN']),
    });
    expect(await ok('count', { ...windowQuery(W1), search })).toEqual({ count: inWindow(matching, W1).length, approximate: false });
    // Top users count the matching events; each one's snapshot is still the newest of their events.
    const top = await ok<{ items: Array<{ userId: string; count: number }> }>('top-users', { ...windowQuery(DAYS), search, limit: '1000' });
    const all = expectedTopUsers(known, DAYS, 1000, ['QUERY_RUN', 'LOGIN']).filter((u) => u.userId !== 'user-22');
    expect(top.items).toEqual(all);
    const rt = await ok('response-times', { ...windowQuery(FULL), groupBy: 'pageName', search: 'action:PAGE_VIEW' });
    expect(rt).toEqual({ items: expectedResponseTimes(known.filter((e) => e.actionType === 'PAGE_VIEW'), FULL, 'pageName', 20) });
  });

  it("another organization's admin sees only its own data, and an organization without events sees zeros", async () => {
    expect(await ok('summary', windowQuery(FULL), tokens.otherAdmin)).toEqual(expectedSummary(other, FULL));
    expect(await ok('top-users', { ...windowQuery(FULL), limit: '1000' }, tokens.otherAdmin)).toEqual({ items: expectedTopUsers(other, FULL, 1000) });
    expect(await ok('timeseries', { ...windowQuery(FULL), interval: 'day' }, tokens.otherAdmin)).toEqual({ items: expectedSeries(other, FULL, 'day') });
    expect(await ok('response-times', { ...windowQuery(FULL), groupBy: 'resourceName' }, tokens.otherAdmin)).toEqual({
      items: expectedResponseTimes(other, FULL, 'resourceName', 20),
    });

    expect(await ok('summary', windowQuery(FULL), tokens.nobodyAdmin)).toEqual({ total: 0, distinctUsers: 0, distinctIps: 0, items: [] });
    for (const endpoint of ['timeseries', 'top-users', 'response-times']) {
      expect(await ok(endpoint, windowQuery(FULL), tokens.nobodyAdmin)).toEqual({ items: [] });
    }
    // The organization is the token's, never a parameter.
    const asParam = await get('summary', { ...windowQuery(FULL), organizationId: ORG }, tokens.otherAdmin);
    expect(asParam.status).toBe(400);
    expect(asParam.text).toContain('organizationId');
  });

  it('only an administrator of the organization: member → 403, no or bad token → 401', async () => {
    for (const endpoint of ['timeseries', 'top-users', 'response-times', 'summary']) {
      const member = await get(endpoint, windowQuery(W1), tokens.member);
      expect([endpoint, member.status, member.body]).toEqual([endpoint, 403, { error: { code: 'FORBIDDEN', message: expect.any(String) } }]);
      for (const token of [null, tokens.wrongSecret, tokens.expired, 'not-a-jwt']) {
        const res = await get(endpoint, windowQuery(W1), token);
        expect([endpoint, res.status, (res.body as { error?: { code?: string } }).error?.code]).toEqual([endpoint, 401, 'UNAUTHENTICATED']);
      }
    }
  });

  it('answers in the shapes its own /v1/openapi.json documents, errors included', async () => {
    const doc = (await (await fetch(`${service.url}/v1/openapi.json`)).json()) as { paths: object; components?: object };
    const answers: Array<[string, { status: number; body: unknown }]> = [
      ['timeseries', await get('timeseries', { ...windowQuery(FULL), interval: 'day' })],
      ['top-users', await get('top-users', windowQuery(FULL))],
      ['response-times', await get('response-times', { ...windowQuery(FULL), groupBy: 'pageName' })],
      ['summary', await get('summary', windowQuery(FULL))],
      ['summary', await get('summary', { ...windowQuery(FULL), interval: 'day' })],
      ['summary', await get('summary', windowQuery(FULL), null)],
      ['summary', await get('summary', windowQuery(FULL), tokens.member)],
    ];
    expect(answers.map(([, res]) => res.status)).toEqual([200, 200, 200, 200, 400, 401, 403]);
    for (const [endpoint, res] of answers) expect(answerDepartures(doc, `get /v1/analytics/${endpoint}`, res.status, res.body)).toEqual([]);
  });

  it('bad parameters → 400 naming the parameter', async () => {
    const w = windowQuery(W1);
    const cases: Array<[string, Record<string, string | string[]>, string]> = [
      ['timeseries', { ...w, interval: 'week' }, 'interval'],
      ['timeseries', { from: w.to, to: w.from }, 'from'],
      ['summary', { from: iso(W1.from), to: iso(W1.from + 3 * DAY + 1) }, 'from'],
      ['top-users', { from: iso(W1.from - 4 * DAY), to: w.to }, 'from'],
      ['timeseries', { ...w, actionType: 'NOT_A_TYPE' }, 'actionType'],
      ['timeseries', { ...w, actionType: ['LOGIN', 'login'] }, 'actionType'],
      ['top-users', { ...w, actionType: 'LOGIN ' }, 'actionType'],
      ['summary', { ...w, foo: '1' }, 'foo'],
      ['summary', { ...w, interval: 'hour' }, 'interval'],
      ['top-users', { ...w, limit: '0' }, 'limit'],
      ['top-users', { ...w, limit: '1001' }, 'limit'],
      ['response-times', { ...w, limit: '2.5' }, 'limit'],
      ['response-times', { ...w, groupBy: 'userId' }, 'groupBy'],
      ['timeseries', { from: 'yesterday', to: w.to }, 'from'],
      ['timeseries', { from: w.from, to: '2026-13-45T99:99:99Z' }, 'to'],
      ['timeseries', { from: [w.from, w.from], to: w.to }, 'from'],
      ['timeseries', { ...w, interval: ['hour', 'day'] }, 'interval'],
      // The search language's errors, on every endpoint.
      ['summary', { ...w, search: 'action:' }, 'search'],
      ['top-users', { ...w, search: 'created:>yesterday' }, 'search'],
      ['response-times', { ...w, search: '(page:Home' }, 'search'],
      ['timeseries', { ...w, search: 'ip:10.0.0.0/99' }, 'search'],
      ['count', { ...w, search: 'nope:x' }, 'search'],
      ['summary', { ...w, search: ['LOGIN', 'LOGOUT'] }, 'search'],
    ];
    for (const [endpoint, query, param] of cases) {
      const res = await get<{ error: { code: string; message: string; details: Array<{ path: string; reason: string }> } }>(endpoint, query);
      expect({ endpoint, query, status: res.status, code: res.body.error?.code, paths: res.body.error?.details?.map((d) => d.path) }).toEqual({
        endpoint,
        query,
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: [param],
      });
      expect(res.body.error.message).toContain(param);
    }
    const tooWide = await get<{ error: { details: Array<{ reason: string }> } }>('summary', { from: iso(W1.from), to: iso(W1.from + 3 * DAY + 1) });
    expect(tooWide.body.error.details[0].reason).toMatch(/at most 3 days/);
    // Exactly the maximum is allowed; several bad parameters are all named at once.
    expect((await get('summary', { from: iso(W1.from), to: iso(W1.from + 3 * DAY) })).status).toBe(200);
    const several = await get<{ error: { details: Array<{ path: string }> } }>('timeseries', { from: w.to, to: w.from, interval: 'year', actionType: 'NOPE', x: '1' });
    expect(several.body.error.details.map((d) => d.path).sort()).toEqual(['actionType', 'from', 'interval', 'x']);
  });

  it('injection attempts in every parameter answer 400 or an empty result, never a 500 or a ClickHouse error, and the data is intact', async () => {
    const w = windowQuery(W1);
    const payloads = [
      "LOGIN' OR 1=1 --",
      "2026-01-01'); DROP TABLE audit_events; --",
      'queryName) FROM system.tables --',
      '1;DROP',
      '1 OR 1=1',
      "hour') UNION ALL SELECT name, '', 1 FROM system.tables --",
      '{org:String}',
      `${w.from}{org:String}`,
      "' || (SELECT count() FROM audit_events) || '",
      '\\\'; TRUNCATE TABLE audit_events_hourly; --',
      'QUERY_RUN\u0000',
    ];
    const endpoints: Record<string, string[]> = {
      timeseries: ['from', 'to', 'interval', 'actionType'],
      'top-users': ['from', 'to', 'actionType', 'limit'],
      'response-times': ['from', 'to', 'groupBy', 'limit'],
      summary: ['from', 'to'],
    };
    const seen: number[] = [];
    for (const [endpoint, params] of Object.entries(endpoints)) {
      for (const param of params) {
        for (const payload of payloads) {
          const res = await get<{ items?: unknown[]; total?: number; error?: { code: string } }>(endpoint, { ...w, [param]: payload });
          seen.push(res.status);
          expect({ endpoint, param, payload, status: res.status }).toEqual({ endpoint, param, payload, status: res.status === 200 ? 200 : 400 });
          expect(res.text).not.toMatch(/DB::Exception|Code: \d+|ClickHouse|Syntax error/i);
          if (res.status === 200) expect(res.body.items ?? []).toEqual([]);
          else expect(res.body.error?.code).toBe('VALIDATION_FAILED');
        }
      }
      // Injection in a parameter's name.
      const named = await get(endpoint, `from=${encodeURIComponent(w.from)}&${encodeURIComponent("to) OR 1=1 --")}=${encodeURIComponent(w.to)}`);
      expect(named.status).toBe(400);
    }
    expect(seen.every((s) => s === 400)).toBe(true);

    // Everything is still there, to the event.
    expect(await ok('summary', windowQuery(FULL))).toEqual(expectedSummary(known, FULL));
    expect(await ok('timeseries', { ...windowQuery(W1), interval: 'hour' })).toEqual({ items: expectedSeries(known, W1, 'hour') });
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });

  // Last: it changes the data set. In embedded mode the projector and the analytics API share one chDB
  // session, so nothing an analytics query sets on it may stop the projector from inserting afterwards.
  it('events sent after analytics queries are still projected (the API leaves the shared ClickHouse session writable)', async () => {
    const key = await createKey(ORG);
    const more = Array.from({ length: 5 }, (_, i) => make(1000 + i, BASE + 20 * HOUR + i * 1000));
    await ingest(key, more, known);
    await waitFor(
      `summary total ${known.length} after more events`,
      async () => (await ok<{ total: number }>('summary', windowQuery(FULL))).total === known.length,
      15_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- standalone output (tail) ---\n${service.output().slice(-3000)}`);
    });
    expect(await ok('summary', windowQuery(FULL))).toEqual(expectedSummary(known, FULL));
  });
});
