import { Injectable } from '@nestjs/common';
import { EVENT_FIELDS, type EventDetail, type EventSummary, type EventUser, type UserItem } from '@audit/contracts';
import { eventFilterSql, likePattern, type Cursor, type EventFilter } from '@audit/event-filter';
import { Database } from '@audit/persistence';

export interface EventsPage {
  items: EventSummary[];
  /** The position after the last item, absent when no row follows it. */
  next?: Cursor;
}

// Timestamps leave Postgres as the API's ISO-8601 text: parsing them into Dates and back was the largest
// single cost of a page in the service (a profile of 4,000 pages: 0.23 ms a page in postgres-date alone).
const isoText = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Fields of audit_trail_events only the detail reads (a page lists one organization's events without them). */
const DETAIL_ONLY: ReadonlySet<string> = new Set(['organizationId', 'metadata']);

/** A summary's columns: the event table's Postgres columns but {@link DETAIL_ONLY}, and the user snapshot from users. */
const SUMMARY_COLUMNS = [
  ...EVENT_FIELDS.filter((f) => f.postgres !== null && !DETAIL_ONLY.has(f.name)).map((f) =>
    f.kind === 'instant' ? `${isoText(`a."${f.postgres}"`)} AS "${f.postgres}"` : `a."${f.postgres}"`,
  ),
  'u.email',
  'u."userName"',
].join(', ');

// The user snapshot of the same organization only: user ids are the emitters' and may collide across tenants.
const USER_JOIN = `LEFT JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"`;

// The exact keyset position, independent of the session's time zone.
const CURSOR_AT = `to_char(a."createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'`;

/** A summary as its SQL returns it: the actor's snapshot as two columns of the join. */
type SummaryRow = Omit<EventSummary, 'user'> & EventUser;

const toSummary = (r: SummaryRow): EventSummary => ({
  id: r.id,
  actionType: r.actionType,
  userId: r.userId,
  user: r.email === null && r.userName === null ? null : { email: r.email, userName: r.userName },
  ipAddress: r.ipAddress,
  responseTimeMs: r.responseTimeMs,
  pageName: r.pageName,
  queryName: r.queryName,
  resourceName: r.resourceName,
  createdAt: r.createdAt,
  receivedAt: r.receivedAt,
});

/** Reads of one organization's events from the system of record, newest first, by keyset pages. */
@Injectable()
export class EventsReadRepository {
  constructor(private readonly db: Database) {}

  async page(organizationId: string, filter: EventFilter, limit: number, after?: Cursor): Promise<EventsPage> {
    const { sql, params } = pageSql(organizationId, filter, limit, after);
    // The console's hot path goes straight to a pg pool (no TypeORM query runner per call), bounded in time.
    const rows = await this.db.read<SummaryRow & { cursorAt: string }>(sql, params);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(toSummary), next: rows.length > limit && last ? { createdAt: last.cursorAt, id: last.id } : undefined };
  }

  /**
   * The page's rows by id, among the events of [from, to] (the ids' createdAt range, so only those months'
   * partitions are read) that still match `filter` here: the system of record has the last word on what a
   * search shows, whatever the projection still holds of a row redacted or erased since. Prepared: parsed
   * once per connection, and for most searches planned once too (Postgres takes the generic plan after five
   * custom ones when it costs no more; seen in pg_prepared_statements). p50 at 200k events, alternated 400
   * times in one process, two runs, load 17-19: 6.2 → 3.9 and 3.4 → 1.7 ms for a time window, 2.9 → 1.2
   * and 2.0 → 1.1 ms for an action type.
   *
   * The ids and the range are read first, fenced by OFFSET 0, and only then is the filter (the organization
   * included) checked on those rows. Beside the filter, the generic plan guessed the range holds a handful of
   * the organization's rows and read all of them through ("organizationId", "createdAt") to find the ids:
   * for a page spread over three months (a CIDR, a user) 23 ms where the primary key takes 0.2 ms (EXPLAIN
   * ANALYZE of the generic plan at 200k events; bench/search's rows-by-id for a CIDR p50 29-44 ms).
   */
  async summariesByIds(organizationId: string, filter: EventFilter, ids: readonly string[], from: Date, to: Date): Promise<Map<string, EventSummary>> {
    if (ids.length === 0) return new Map();
    const params: unknown[] = [];
    const where = eventFilterSql(organizationId, filter, params);
    params.push([...ids], from, to);
    const n = params.length;
    const rows = await this.db.read<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM (
         SELECT * FROM audit_trail_events WHERE id = ANY($${n - 2}::uuid[]) AND "createdAt" >= $${n - 1} AND "createdAt" <= $${n} OFFSET 0
       ) a ${USER_JOIN}
       WHERE ${where}`,
      params,
      { prepared: true },
    );
    return new Map(rows.map((r) => [r.id, toSummary(r)]));
  }

  /**
   * The keyset positions of the newest `limit` events matching `filter` among those received after
   * `receivedAfter`, after `after`: the part of a search the projector may not have written yet. The
   * OFFSET 0 fence reads the organization's events received after the bound first, through the
   * ("organizationId", "receivedAt") index (one probe per partition: the projector's lag plus
   * SEARCH_FRESHNESS_MARGIN of one organization's events), and only then checks the filter on them. With
   * the filter beside the bound, Postgres could AND that read with a btree of the filter (the action
   * type's, say), which reads every entry of that index for the organization: 10-30 ms at 1M events where
   * the fenced read takes ~1 ms (bench/search, EXPLAIN ANALYZE alternated). Before that index, the read
   * went through the "receivedAt" BRIN: each partition's whole BRIN scanned and every organization's
   * events in the newest block ranges rechecked, ~0.6 ms at 2M events and 3-4 ms at 10M for an empty
   * tail. Prepared: no longer parsed on each page, and its generic plan uses the index too (a spec checks).
   */
  async recentKeys(organizationId: string, filter: EventFilter, receivedAfter: Date, limit: number, after?: Cursor): Promise<Cursor[]> {
    const params: unknown[] = [];
    // Its first parameter ($1) is the organization.
    let where = eventFilterSql(organizationId, filter, params);
    params.push(receivedAfter);
    const received = `$${params.length}`;
    if (after) {
      params.push(after.createdAt, after.id);
      where += ` AND (a."createdAt", a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(limit);
    const rows = await this.db.read<{ id: string; createdAt: string }>(
      `SELECT a.id, ${CURSOR_AT} AS "createdAt" FROM (
         SELECT * FROM audit_trail_events WHERE "organizationId" = $1 AND "receivedAt" > ${received} OFFSET 0
       ) a WHERE ${where} ORDER BY a."createdAt" DESC, a.id DESC LIMIT $${params.length}`,
      params,
      { prepared: true },
    );
    return rows;
  }

  /**
   * For each of the organizations, the earliest `createdAt` among its events received after `receivedAfter`
   * (an organization with none is absent). One statement for all of them: the `receivedAt` BRIN index
   * bounds it to the newest pages however large the organizations are.
   */
  async earliestCreatedReceivedAfter(organizationIds: readonly string[], receivedAfter: Date): Promise<Map<string, Date>> {
    if (organizationIds.length === 0) return new Map();
    const rows = await this.db.read<{ organizationId: string; earliest: Date }>(
      `SELECT "organizationId", min("createdAt") AS earliest FROM audit_trail_events
       WHERE "receivedAt" > $1 AND "organizationId" = ANY($2::text[]) GROUP BY "organizationId"`,
      [receivedAfter, organizationIds],
    );
    return new Map(rows.map((r) => [r.organizationId, new Date(r.earliest)]));
  }

  async findOne(organizationId: string, id: string): Promise<EventDetail | null> {
    const rows = await this.db.read<SummaryRow & { organizationId: string; metadata: Record<string, unknown> }>(
      `SELECT ${SUMMARY_COLUMNS}, a."organizationId", a.metadata FROM audit_trail_events a ${USER_JOIN}
       WHERE a.id = $1 AND a."organizationId" = $2`,
      [id, organizationId],
    );
    const row = rows[0];
    return row ? { ...toSummary(row), organizationId: row.organizationId, metadata: row.metadata } : null;
  }

  /** The organization's user with this id (its latest snapshot), or null: the live tail's actor of an event that carries no snapshot. */
  async userById(organizationId: string, id: string): Promise<UserItem | null> {
    const rows = await this.db.read<UserItem>(`SELECT id, email, "userName" FROM users WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]);
    return rows[0] ?? null;
  }

  /** The organization's users whose id, email or name contains `q`, for the console's user filter; without `q`, the most recently added or changed. */
  async users(organizationId: string, q: string | undefined, limit: number): Promise<UserItem[]> {
    const params: unknown[] = [organizationId, limit];
    if (q === undefined) {
      return this.db.read<UserItem>(`SELECT id, email, "userName" FROM users WHERE "organizationId" = $1 ORDER BY "updatedAt" DESC, id LIMIT $2`, params);
    }
    params.push(likePattern(q));
    return this.db.read<UserItem>(
      `SELECT id, email, "userName" FROM users WHERE "organizationId" = $1 AND (id ILIKE $3 OR email ILIKE $3 OR "userName" ILIKE $3)
       ORDER BY lower(coalesce(email, "userName", id)), id LIMIT $2`,
      params,
    );
  }
}

/** The SQL of one page (exported for the benchmark, which runs the very same statement directly). */
export function pageSql(organizationId: string, filter: EventFilter, limit: number, after?: Cursor): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let where = eventFilterSql(organizationId, filter, params);
  if (after) {
    params.push(after.createdAt, after.id);
    where += ` AND (a."createdAt", a.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
  }
  params.push(limit + 1);
  return {
    sql: `SELECT ${SUMMARY_COLUMNS}, ${CURSOR_AT} AS "cursorAt" FROM audit_trail_events a ${USER_JOIN}
          WHERE ${where} ORDER BY a."createdAt" DESC, a.id DESC LIMIT $${params.length}`,
    params,
  };
}

