/**
 * Deterministic, streaming generator of realistic audit events for the analytics benchmark.
 *
 * Shape of the data: `days` of history ending at `end`, `orgs` organizations whose sizes follow a
 * Zipf law (s = 1: with 50 organizations the largest holds ≈ 22% of the rows, the smallest ≈ 0.4%),
 * traffic with a daily cycle, quiet weekends and growth over the period, the 34 action types with
 * query runs dominant, per-organization users (Zipf-active), IPs (home, office, roaming), query /
 * page / resource / workflow names and response times with a long tail (lognormal per query plus
 * rare 5–60× stalls).
 *
 * Events come out in `createdAt` order, in chunks of a fixed size, never all at once: memory stays
 * bounded by one chunk whatever the row count. The same seed and end give the same events.
 */
import { ACTION_TYPES, type ActionType, type AuditEvent } from '@audit/contracts';

export interface DatasetOptions {
  rows: number;
  days: number;
  orgs: number;
  seed: number;
  /** The newest instant of the data set (exclusive). */
  end: Date;
}

export interface BenchUser {
  id: string;
  email: string;
  userName: string;
  organizationId: string;
  ips: string[];
}

interface BenchQuery {
  name: string;
  resource: string;
  page: string;
  table: string;
  param: string;
  medianMs: number;
  sigma: number;
  sql: string;
}

export interface BenchOrg {
  id: string;
  /** Expected fraction of all rows. */
  share: number;
  users: BenchUser[];
  userCdf: Float64Array;
  queries: BenchQuery[];
  queryCdf: Float64Array;
  pages: string[];
  pageCdf: Float64Array;
  resources: string[];
  workflows: Array<{ name: string; medianMs: number }>;
  officeIps: string[];
}

export interface Dataset {
  options: DatasetOptions;
  start: Date;
  orgs: BenchOrg[];
  /** Events in createdAt order, `chunkSize` at a time (the last chunk may be shorter). */
  chunks(chunkSize: number): Generator<AuditEvent[]>;
}

const HOUR_MS = 3_600_000;

/** sfc32: small, fast, 128-bit state; good enough statistics for synthetic data, fully deterministic. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t0 = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t0) | 0;
    return (t0 >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += 1 / k ** s;
  let acc = 0;
  for (let k = 1; k <= n; k++) {
    acc += 1 / k ** s / sum;
    cdf[k - 1] = acc;
  }
  cdf[n - 1] = 1;
  return cdf;
}

function weightsCdf(weights: number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    acc += w / total;
    cdf[i] = acc;
  });
  cdf[weights.length - 1] = 1;
  return cdf;
}

/** Index of the first cdf entry ≥ u (binary search). */
function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const ORG_NAMES = [
  'acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'tyrell', 'cyberdyne',
  'soylent', 'vandelay', 'piedpiper', 'dunder-mifflin', 'massive-dynamic', 'oscorp', 'aperture', 'black-mesa', 'monarch', 'gringotts',
  'ollivander', 'krusty', 'duff', 'nakatomi', 'weyland', 'yoyodyne', 'zorg', 'omnicorp', 'bluth', 'sterling-cooper',
  'prestige', 'paper-street', 'gekko', 'lacuna', 'rekall', 'virtucon', 'spacely', 'cogswell', 'buy-n-large', 'monsters-inc',
  'planet-express', 'momcorp', 'chotchkies', 'big-kahuna', 'lunar-industries', 'vehement', 'strickland', 'callahan', 'mooby', 'ewing-oil',
];
const FIRST = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances', 'alan', 'radia', 'edsger', 'hedy', 'john', 'katherine', 'donald', 'sophie', 'tim', 'anita', 'guido', 'yukihiro'];
const LAST = ['lovelace', 'hopper', 'torvalds', 'hamilton', 'thompson', 'liskov', 'ritchie', 'allen', 'turing', 'perlman', 'dijkstra', 'lamarr', 'backus', 'johnson', 'knuth', 'wilson', 'berners-lee', 'borg', 'van-rossum', 'matsumoto'];
const VERBS = ['get', 'list', 'search', 'update', 'create', 'delete', 'sync', 'count', 'export', 'refund', 'approve', 'archive'];
const NOUNS = ['Customers', 'Orders', 'Invoices', 'Tickets', 'Products', 'Payments', 'Users', 'Shipments', 'Leads', 'Refunds', 'Subscriptions', 'Accounts', 'Contracts', 'Vendors', 'Returns', 'Coupons'];
const PAGE_WORDS = ['Customer 360', 'Refund desk', 'Inventory', 'Sales dashboard', 'Onboarding', 'Billing admin', 'Support inbox', 'Ops console', 'Fraud review', 'Order tracker', 'KPI board', 'Vendor portal'];
const RESOURCE_KINDS = ['prod-postgres', 'replica-postgres', 'stripe-api', 'salesforce', 'warehouse-snowflake', 'zendesk', 'hubspot', 'internal-rest', 'mongo-events', 'bigquery', 'redis-cache', 's3-exports'];
const WORKFLOW_WORDS = ['nightly-sync', 'invoice-reminders', 'churn-alerts', 'lead-router', 'fraud-scan', 'report-digest', 'sla-escalation', 'inventory-restock'];
const USER_AGENTS = ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0'];

/** Relative frequency of each action type: query runs dominate, as in real logs. */
const ACTION_WEIGHTS: Record<ActionType, number> = {
  QUERY_RUN: 52, PAGE_VIEW: 18, QUERY_PREVIEW: 7, RUN_WORKFLOW_BLOCK: 4, RUN_WORKFLOW: 3, PLAYGROUND_QUERY_RUN: 2.5, LOGIN: 2.5,
  VIEW_WORKFLOW: 2, LOGOUT: 1.5, PAGE_EXPORT: 0.8, UPDATE_RESOURCE: 0.5, RELEASE_WORKFLOW: 0.4, CREATE_RESOURCE: 0.2, ENABLE_TRIGGER: 0.2,
  CREATE_WORKFLOW: 0.2, DISABLE_TRIGGER: 0.15, REQUEST_PASSWORD_RESET_LINK: 0.1, REQUEST_PASSWORDLESS_LOGIN: 0.1, INVITE_USER: 0.1,
  CONFIRM_PASSWORD_RESET_LINK: 0.08, REDEEM_INVITE: 0.08, DELETE_WORKFLOW: 0.08, SIGN_UP: 0.05, ADD_USERS_TO_GROUP: 0.05,
  DELETE_RESOURCE: 0.05, UPDATE_GROUP: 0.04, RE_INVITE_USER: 0.03, REMOVE_USERS_FROM_GROUP: 0.03, CREATE_GROUP: 0.02,
  DISABLE_TWO_FACTOR_AUTH: 0.02, DISABLE_USER: 0.02, UPDATE_ORGANIZATION: 0.02, DELETE_GROUP: 0.01, ENABLE_USER: 0.01,
};
const TYPES: ActionType[] = [...ACTION_TYPES];
const ACTION_CDF = weightsCdf(TYPES.map((t) => ACTION_WEIGHTS[t]));
/** Actions done before anyone is signed in: no actor. */
const ANONYMOUS = new Set<ActionType>(['REQUEST_PASSWORD_RESET_LINK', 'REQUEST_PASSWORDLESS_LOGIN']);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

export function createDataset(options: DatasetOptions): Dataset {
  const { rows, days, orgs: orgCount, seed } = options;
  if (!Number.isInteger(rows) || rows < 1) throw new Error('rows must be a positive integer');
  const endMs = options.end.getTime();
  const startMs = endMs - days * 86_400_000;
  const orgs = buildOrgs(orgCount, seed);
  const orgCdf = weightsCdf(orgs.map((o) => o.share));

  // Hourly traffic: a daily cycle peaking mid-afternoon UTC (EU + US overlap), quiet weekends, +60% growth over the period.
  const hours = days * 24;
  const weight = (h: number): number => {
    const t = new Date(startMs + h * HOUR_MS);
    const hod = t.getUTCHours();
    const dow = t.getUTCDay();
    const daily = 0.2 + Math.exp(-((hod - 15) ** 2) / (2 * 4 ** 2));
    const weekly = dow === 0 || dow === 6 ? 0.35 : 1;
    return daily * weekly * (1 + (0.6 * h) / hours);
  };
  const cumulative = new Float64Array(hours + 1);
  for (let h = 0; h < hours; h++) cumulative[h + 1] = cumulative[h] + weight(h);
  const total = cumulative[hours];
  const rowsBefore = (h: number): number => Math.round((rows * cumulative[h]) / total);

  function* chunks(chunkSize: number): Generator<AuditEvent[]> {
    const random = prng(seed * 7919 + 17);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const hex = (bytes: number): string => {
      let s = '';
      for (let i = 0; i < bytes; i++) s += HEX[Math.floor(random() * 256)];
      return s;
    };
    // A UUIDv7 (time-ordered) whose last bits carry the event's index: unique by construction.
    const uuid = (ms: number, index: number): string => {
      const t = ms.toString(16).padStart(12, '0');
      const r1 = Math.floor(random() * 0x1000000); // 12 bits rand_a + 12 bits rand_b
      const r2 = Math.floor(random() * 0x40000); // 2 + 16 bits rand_b
      return `${t.slice(0, 8)}-${t.slice(8)}-7${HEX3[r1 >>> 12]}-${HEX[0x80 | (r2 >>> 16) << 4 | (r1 >>> 8 & 0xf)]}${HEX[r1 & 0xff]}-${HEX[(r2 >>> 8) & 0xff]}${HEX[r2 & 0xff]}${index.toString(16).padStart(8, '0')}`;
    };
    // toISOString() for ms in time order, without a Date per call: the hour prefix is cached.
    let isoHour = -1;
    let isoPrefix = '';
    const iso = (ms: number): string => {
      const hour = Math.floor(ms / HOUR_MS);
      if (hour !== isoHour) {
        isoHour = hour;
        isoPrefix = new Date(hour * HOUR_MS).toISOString().slice(0, 14);
      }
      const r = ms - hour * HOUR_MS;
      return `${isoPrefix}${PAD2[Math.floor(r / 60_000)]}:${PAD2[Math.floor(r / 1000) % 60]}.${PAD3[r % 1000]}Z`;
    };
    const longTail = (median: number, sigma: number): number => {
      let ms = median * Math.exp(sigma * gauss());
      if (random() < 0.006) ms *= 5 + random() * 55; // stalls: lock waits, cold caches, timeouts
      return Math.max(1, Math.min(300_000, Math.round(ms)));
    };
    const randomIp = (): string =>
      random() < 0.8
        ? `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`
        : `2001:db8:${hex(2)}:${hex(2)}::${hex(1)}`;

    let buffer: AuditEvent[] = [];
    let index = 0;
    const offsets = new Float64Array(Math.ceil((rows * 4) / hours) + 64);
    for (let h = 0; h < hours; h++) {
      const count = rowsBefore(h + 1) - rowsBefore(h);
      if (count === 0) continue;
      const hourStart = startMs + h * HOUR_MS;
      const within = count <= offsets.length ? offsets.subarray(0, count) : new Float64Array(count);
      for (let i = 0; i < count; i++) within[i] = random() * HOUR_MS;
      within.sort();
      for (let i = 0; i < count; i++) {
        const createdMs = hourStart + Math.floor(within[i]);
        const org = orgs[sample(orgCdf, random())];
        const actionType = TYPES[sample(ACTION_CDF, random())];
        const user = ANONYMOUS.has(actionType) ? null : org.users[sample(org.userCdf, random())];
        const ipRoll = random();
        const ipAddress = user && ipRoll < 0.7 ? pick(user.ips) : ipRoll < 0.95 ? pick(org.officeIps) : randomIp();
        const event: AuditEvent = {
          schemaVersion: 1,
          id: uuid(createdMs, index),
          organizationId: org.id,
          actionType,
          userId: user?.id ?? null,
          user: user ? { email: user.email, userName: user.userName } : null,
          ipAddress,
          responseTimeMs: null,
          pageName: null,
          queryName: null,
          resourceName: null,
          metadata: {},
          createdAt: iso(createdMs),
          receivedAt: iso(createdMs + 5 + Math.floor(random() ** 3 * 800)),
        };
        switch (actionType) {
          case 'QUERY_RUN':
          case 'QUERY_PREVIEW':
          case 'PLAYGROUND_QUERY_RUN': {
            const q = org.queries[sample(org.queryCdf, random())];
            event.queryName = q.name;
            event.resourceName = q.resource;
            event.pageName = actionType === 'PLAYGROUND_QUERY_RUN' ? 'Query Library' : q.page;
            event.responseTimeMs = longTail(actionType === 'QUERY_PREVIEW' ? q.medianMs * 1.3 : q.medianMs, q.sigma);
            event.metadata = {
              query: q.sql,
              parameters: { [q.param]: Math.floor(random() * 1_000_000), limit: 100 },
              headers: { 'user-agent': pick(USER_AGENTS), 'x-request-id': hex(8) },
            };
            break;
          }
          case 'PAGE_VIEW':
          case 'PAGE_EXPORT':
            event.pageName = org.pages[sample(org.pageCdf, random())];
            event.metadata = actionType === 'PAGE_EXPORT' ? { format: pick(['json', 'csv']) } : { mode: random() < 0.9 ? 'view' : 'edit' };
            break;
          case 'CREATE_RESOURCE':
          case 'UPDATE_RESOURCE':
          case 'DELETE_RESOURCE':
            event.resourceName = pick(org.resources);
            event.metadata = { resourceType: event.resourceName.split('-').pop() ?? 'rest' };
            break;
          case 'RUN_WORKFLOW':
          case 'RUN_WORKFLOW_BLOCK': {
            const wf = pick(org.workflows);
            event.pageName = wf.name;
            event.responseTimeMs = longTail(actionType === 'RUN_WORKFLOW' ? wf.medianMs * 4 : wf.medianMs, 0.7);
            event.metadata = { workflowId: `wf_${wf.name}`, trigger: pick(['schedule', 'webhook', 'manual']) };
            break;
          }
          case 'CREATE_WORKFLOW':
          case 'DELETE_WORKFLOW':
          case 'RELEASE_WORKFLOW':
          case 'VIEW_WORKFLOW':
          case 'ENABLE_TRIGGER':
          case 'DISABLE_TRIGGER':
            event.pageName = pick(org.workflows).name;
            event.metadata = { workflowId: `wf_${event.pageName}` };
            break;
          case 'CREATE_GROUP':
          case 'UPDATE_GROUP':
          case 'DELETE_GROUP':
          case 'ADD_USERS_TO_GROUP':
          case 'REMOVE_USERS_FROM_GROUP':
            event.metadata = { group: pick(['admins', 'support', 'finance', 'engineering']), users: [pick(org.users).email] };
            break;
          case 'INVITE_USER':
          case 'RE_INVITE_USER':
          case 'DISABLE_USER':
          case 'ENABLE_USER':
            event.metadata = { targetUser: pick(org.users).email };
            break;
          case 'LOGIN':
          case 'LOGOUT':
          case 'SIGN_UP':
          case 'REDEEM_INVITE':
          case 'DISABLE_TWO_FACTOR_AUTH':
          case 'REQUEST_PASSWORD_RESET_LINK':
          case 'REQUEST_PASSWORDLESS_LOGIN':
          case 'CONFIRM_PASSWORD_RESET_LINK':
            event.metadata = { method: pick(['password', 'sso', 'magic-link']) };
            break;
          case 'UPDATE_ORGANIZATION':
            event.metadata = { changed: [pick(['name', 'sso', 'branding'])] };
            break;
        }
        buffer.push(event);
        index++;
        if (buffer.length === chunkSize) {
          yield buffer;
          buffer = [];
        }
      }
    }
    if (buffer.length > 0) yield buffer;
  }

  return { options, start: new Date(startMs), orgs, chunks };
}

function buildOrgs(count: number, seed: number): BenchOrg[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const shares = zipfCdf(count, 1);
  const ip4 = (): string => `${11 + Math.floor(random() * 200)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
  const orgs: BenchOrg[] = [];
  for (let k = 0; k < count; k++) {
    const share = shares[k] - (k > 0 ? shares[k - 1] : 0);
    const id = k < ORG_NAMES.length ? ORG_NAMES[k] : `org-${k + 1}`;
    const userCount = Math.max(8, Math.round(4000 * share));
    const users: BenchUser[] = Array.from({ length: userCount }, (_, u) => {
      const first = FIRST[u % FIRST.length];
      const last = LAST[Math.floor(u / FIRST.length) % LAST.length];
      const ips = Array.from({ length: 1 + Math.floor(random() * 3) }, ip4);
      return { id: `${id}-u${u + 1}`, email: `${first}.${last}${u >= 400 ? u : ''}@${id}.example.com`, userName: `${cap(first)} ${cap(last)}`, organizationId: id, ips };
    });
    const resources = Array.from({ length: 3 + Math.floor(random() * 10) }, (_, r) => `${RESOURCE_KINDS[r % RESOURCE_KINDS.length]}${r >= RESOURCE_KINDS.length ? `-${r}` : ''}`);
    const pages = Array.from({ length: Math.max(6, Math.round(300 * share)) }, (_, p) => `${PAGE_WORDS[p % PAGE_WORDS.length]}${p >= PAGE_WORDS.length ? ` ${Math.floor(p / PAGE_WORDS.length) + 1}` : ''}`);
    const queries: BenchQuery[] = Array.from({ length: Math.max(12, Math.round(1500 * share)) }, (_, q) => {
      const verb = VERBS[q % VERBS.length];
      const noun = NOUNS[Math.floor(q / VERBS.length) % NOUNS.length];
      const name = `${verb}${noun}${q >= VERBS.length * NOUNS.length ? Math.floor(q / (VERBS.length * NOUNS.length)) + 1 : ''}`;
      const table = noun.toLowerCase();
      const param = `${table.replace(/s$/, '')}.id`;
      return {
        name,
        resource: pick(resources),
        page: pick(pages),
        table,
        param,
        medianMs: Math.max(3, Math.exp(Math.log(70) + 0.9 * gaussFrom(random))),
        sigma: 0.3 + random() * 0.5,
        sql: `select * from ${table} where id = {{ ${param} }} and status = {{ status.value }} order by updated_at desc limit {{ limit }} -- ${name}`,
      };
    });
    const workflows = Array.from({ length: Math.max(3, Math.round(100 * share)) }, (_, w) => ({
      name: `${WORKFLOW_WORDS[w % WORKFLOW_WORDS.length]}${w >= WORKFLOW_WORDS.length ? `-${w}` : ''}`,
      medianMs: 50 + random() * 400,
    }));
    orgs.push({
      id,
      share,
      users,
      userCdf: zipfCdf(users.length, 0.8),
      queries,
      queryCdf: zipfCdf(queries.length, 1),
      pages,
      pageCdf: zipfCdf(pages.length, 0.9),
      resources,
      workflows,
      officeIps: Array.from({ length: 2 + Math.round(userCount / 25) }, ip4),
    });
  }
  return orgs;
}

function gaussFrom(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** One line of Postgres COPY text format for audit_trail_events, in COPY_COLUMNS order. */
export const COPY_COLUMNS = 'id, "organizationId", "actionType", "userId", "ipAddress", "responseTimeMs", "pageName", "queryName", "resourceName", metadata, "createdAt", "receivedAt"';

const COPY_SPECIAL = /[\\\t\n\r]/;
const escCopy = (v: string | number | null): string =>
  v === null
    ? '\\N'
    : typeof v === 'number'
      ? String(v)
      : !COPY_SPECIAL.test(v)
        ? v
        : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

export function toCopyLine(e: AuditEvent): string {
  return `${escCopy(e.id)}\t${escCopy(e.organizationId)}\t${e.actionType}\t${escCopy(e.userId)}\t${escCopy(e.ipAddress)}\t${escCopy(e.responseTimeMs)}\t${escCopy(e.pageName)}\t${escCopy(e.queryName)}\t${escCopy(e.resourceName)}\t${escCopy(JSON.stringify(e.metadata))}\t${e.createdAt}\t${e.receivedAt}`;
}

/**
 * The columns of one ClickHouse TabSeparated line (`toClickHouseLine`), as the projector fills audit_events:
 * the Postgres row plus the actor's e-mail and name snapshot. ClickHouse's TabSeparated escapes as COPY's text
 * format does (`\N`, `\t`, `\n`, `\\`), so the line is the COPY line with the two snapshot fields added.
 */
export const CLICKHOUSE_STRUCTURE =
  'id UUID, organizationId String, actionType String, userId Nullable(String), ipAddress Nullable(String), responseTimeMs Nullable(UInt32), pageName Nullable(String), queryName Nullable(String), resourceName Nullable(String), metadata String, createdAt DateTime64(3, \'UTC\'), receivedAt DateTime64(3, \'UTC\'), userEmail Nullable(String), userName Nullable(String)';

export function toClickHouseLine(e: AuditEvent, copyLine = toCopyLine(e)): string {
  return `${copyLine}\t${escCopy(e.user?.email ?? null)}\t${escCopy(e.user?.userName ?? null)}`;
}

