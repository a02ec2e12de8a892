import { ACTION_TYPES, type AuditEvent } from '@audit/contracts';
import type { Database } from '@audit/persistence';
import type { SearchableEvent } from '@audit/search';

/*
 * A data set and a corpus of searches for checking a search's ClickHouse compilation against the
 * in-memory evaluator (libs/search `matches`): the events API's merge (libs/query) and the analytics
 * aggregates (libs/analytics) use the same ones.
 */

/** A small deterministic generator (mulberry32), so a failure replays. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The organization's users: an e-mail in mixed case, names with LIKE's wildcards in them. */
export const SEARCH_USERS = [
  { id: 'u-ada', email: 'Ada@Example.com', userName: 'Ada Lovelace' },
  { id: 'u-bob', email: 'bob@example.com', userName: 'Bob' },
  { id: 'u-bot', email: 'bot@x.io', userName: 'Release Bot' },
  { id: 'u-eve', email: 'eve@corp.io', userName: 'Eve 50%_off' },
];
const PAGES = ['Sales', 'Sales report', 'Admin', 'Revenue 100%', 'under_score', null];
const QUERIES = ['getOrders', 'revenueByRegion', 'listUsers', null];
const RESOURCES = ['pg-main', 'pg-replica', 'stripe', null];
const IPS = ['10.1.2.3', '10.200.0.9', '192.168.7.1', '2001:db8::7', '2001:db9::1', '::1', null];
const TEXTS = ['select * from orders where total > 100', 'SELECT region, sum(amount) FROM revenue', 'update users set x = 1', 'select 1 -- 50%_done'];

// Process-wide, so two data sets of one test never share an id.
let serial = 0;

/**
 * The n-th event of the search data set: every field varies, several share a createdAt (the id breaks the
 * tie); createdAt in whole seconds over the 700 days before `now`.
 */
export function makeSearchEvent(rnd: () => number, now: Date, organizationId: string, receivedAt: Date, overrides: Partial<AuditEvent> = {}): AuditEvent {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  serial++;
  const hex = serial.toString(16).padStart(12, '0');
  const user = rnd() < 0.85 ? pick(SEARCH_USERS) : null;
  // A user id with no users row at all, now and then.
  const userId = user ? user.id : rnd() < 0.5 ? 'u-ghost' : null;
  const queryText = rnd() < 0.7 ? pick(TEXTS) : undefined;
  const metadata: Record<string, unknown> = queryText !== undefined ? { query: queryText, parameters: { n: serial } } : rnd() < 0.5 ? { query: 42 } : { n: serial };
  // Whole seconds over about two years, so ties on createdAt happen.
  const createdAt = new Date(now.getTime() - Math.floor(rnd() * 700) * 86_400_000 - Math.floor(rnd() * 3) * 1000);
  return {
    schemaVersion: 1,
    id: `${(serial * 2654435761 % 0xffffffff).toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`,
    organizationId,
    actionType: pick(ACTION_TYPES),
    userId,
    user: user ? { email: user.email, userName: user.userName } : null,
    ipAddress: pick(IPS),
    responseTimeMs: rnd() < 0.8 ? Math.floor(rnd() * 2000) : null,
    pageName: pick(PAGES),
    queryName: pick(QUERIES),
    resourceName: pick(RESOURCES),
    metadata,
    createdAt: createdAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    ...overrides,
  } as AuditEvent;
}

/** The queries of the equivalence check: every qualifier, operator and combination the language has. */
export const SEARCH_CORPUS = [
  '',
  'action:QUERY_RUN',
  'action:query.*,login',
  'action:authentication',
  '-action:page_*',
  'user:u-ada',
  'user:ada@example.com',
  'user:ADA@EXAMPLE.COM,u-bob',
  '-user:bot@x.io',
  'user:u-ghost',
  'ip:10.0.0.0/8',
  'ip:10.1.2.3',
  'ip:2001:db8::/32',
  '-ip:10.0.0.0/8',
  'ip:0.0.0.0/0,::/0',
  'page:Sales',
  'page:"Sales report",Admin',
  'query:getOrders resource:pg-main',
  'resource:pg-main,stripe -query:listUsers',
  'created:>2026-01-01',
  'created:2025-06-01..2025-12-31',
  'created:<=2025-03-01',
  'created:>-30d',
  'created:-90d..-30d',
  'rt:>1000',
  'rt:100..500',
  '-rt:<1500',
  'sales',
  '"sales report"',
  'revenue',
  'ORDERS',
  '50%_',
  '"100%"',
  'under_score',
  'lovelace',
  'example.com',
  'release',
  'nothing-matches-this',
  'action:LOGIN OR user:u-bot',
  'revenue OR stripe rt:>200',
  '(user:u-ada OR user:u-bob) -(action:login OR action:logout) created:>2025-01-01',
  '-(ip:10.0.0.0/8 OR rt:>1000)',
  'select -update',
];

/** An event as the search evaluator (`matches`) reads it, with its id and its sort key (`createdAt|id`, newest last). */
export type ReferenceEvent = SearchableEvent & { id: string; key: string };

/** The organization's events from Postgres as the reference sees them (the user row of the same organization). */
export async function referenceSearchEvents(db: Pick<Database, 'read'>, organizationId: string): Promise<ReferenceEvent[]> {
  const rows = await db.read<Record<string, unknown>>(
    `SELECT a.id, a."actionType", a."userId", u.email, u."userName", a."ipAddress", a."responseTimeMs", a."pageName", a."queryName",
            a."resourceName", a.metadata, (extract(epoch from a."createdAt") * 1000)::bigint AS ms,
            to_char(a."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS key
       FROM audit_trail_events a LEFT JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"
      WHERE a."organizationId" = $1`,
    [organizationId],
  );
  return rows.map((r) => {
    const metadata = r.metadata as Record<string, unknown>;
    return {
      id: r.id as string,
      key: `${r.key as string}|${r.id as string}`,
      actionType: r.actionType as string,
      userId: r.userId as string | null,
      userEmail: r.email as string | null,
      userName: r.userName as string | null,
      ipAddress: r.ipAddress as string | null,
      responseTimeMs: r.responseTimeMs as number | null,
      pageName: r.pageName as string | null,
      queryName: r.queryName as string | null,
      resourceName: r.resourceName as string | null,
      queryText: typeof metadata.query === 'string' ? metadata.query : null,
      createdAt: Number(r.ms),
    };
  });
}

