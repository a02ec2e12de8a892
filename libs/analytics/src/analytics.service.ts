import { Inject, Injectable } from '@nestjs/common';
import type { ActionType, ResponseTimeItem, Summary, TopUserItem } from '@audit/contracts';

export type { ResponseTimeItem, Summary, TimeseriesItem, TopUserItem } from '@audit/contracts';
import { ClickHouse, DAILY_USERS_ROLLUP, HOURLY_ROLLUP, searchBoundsSettings, searchLimitError, spanStart, toClickHouseTime } from '@audit/clickhouse';
import type { EventSearch } from '@audit/event-filter';
import { SearchUsersRepository } from '@audit/persistence';
import { CoalescedReads } from './coalesced-reads';
import { ANALYTICS_CONFIG, type AnalyticsConfig } from './config';
import { narrowingClickHouse, narrowingNode, needsEvents, type EventNarrowing } from './event-filter-clickhouse';
import type { AnalyticsWindow, GroupBy, Interval } from './query-params';

/** How long a count of a filtered view may scan before ClickHouse answers with what it counted so far (marked approximate). */
export const COUNT_BUDGET_MS = 2_000;

/** The number of events of a view; `approximate` when ClickHouse stopped counting at the time budget (a lower bound). */
export interface ViewCount {
  count: number;
  approximate: boolean;
}

const BUCKET_OF: Record<Interval, string> = { minute: 'toStartOfMinute(createdAt)', hour: 'toStartOfHour(createdAt)', day: 'toStartOfDay(createdAt)' };

/** What a statement stopped at SEARCH_MAX_ROWS or SEARCH_TIMEOUT advises (the answer names `search`, or `from` without one). */
const NARROW_ADVICE = 'narrow the window (from, to) or the search (created:, action:, user:)';

/**
 * What a statement without a search sets: no search projection (see `rows`). The summary's statement over 60k
 * events in embedded chDB, with and without it alternated in one process (CPU of the process per statement,
 * medians of 10 and 6 rounds of 20): 13.2 → 12.5 ms with a few parts a table, 24.7 → 23.9 ms with 60.
 */
const NO_SEARCH_PROJECTIONS = 'optimize_use_projections = 0';

const ITEMS_OPEN = Buffer.from('{"items":');
const ITEMS_CLOSE = Buffer.from('}');

/**
 * The events of [from, to) outside the whole spans a rollup answers (see `windowParams`): the partial
 * hours or days at either edge of the window, read from the events. Plain bounds, computed beforehand:
 * least()/greatest() of the parameters here kept ClickHouse from narrowing the read by the primary key.
 */
function edgeCondition(span: 'hour' | 'day'): string {
  return `((createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {${span}HeadTo:DateTime64(3, 'UTC')})
        OR (createdAt >= {${span}TailFrom:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}))`;
}

/**
 * Event counts per (bucket, action type) for [from, to): whole hours come from the hourly rollup and
 * the partial hours at either edge from the events themselves, so any window is exact and long ones
 * stay cheap. Hourly buckets of the two parts never overlap, so they are only ordered; daily buckets
 * add the two up. The hot path of the console's chart: a 30-day hourly series is ~15k rows.
 */
function countsSql(interval: 'hour' | 'day', withTypes: boolean): string {
  const parts = countParts(withTypes);
  return interval === 'hour'
    ? `SELECT ${isoBucket('ts')} AS bucket, actionType, c AS count FROM (${parts}) ORDER BY ts, actionType`
    : `SELECT ${isoBucket('toStartOfDay(ts)')} AS bucket, actionType, sum(c) AS count FROM (${parts}) GROUP BY bucket, actionType ORDER BY bucket, actionType`;
}

/** The counts (ts, actionType, c) of [from, to): whole hours from the hourly rollup, the edges from the events. */
function countParts(withTypes: boolean): string {
  const typeFilter = withTypes ? 'AND actionType IN {types:Array(String)}' : '';
  return `
      SELECT hour AS ts, actionType, sum(events) AS c FROM audit_events_hourly
      WHERE organizationId = {org:String} AND hour >= {hourFrom:DateTime('UTC')} AND hour < {hourTo:DateTime('UTC')} ${typeFilter}
      GROUP BY ts, actionType
      UNION ALL
      SELECT toStartOfHour(createdAt) AS ts, actionType, count() AS c FROM audit_events
      WHERE organizationId = {org:String} AND ${edgeCondition('hour')} ${typeFilter}
      GROUP BY ts, actionType`;
}

/** The bucket as the API's ISO-8601 text, formatted by ClickHouse: long series skip a per-row conversion here. */
function isoBucket(expr: string): string {
  return `formatDateTime(${expr}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC')`;
}

/**
 * Read-only aggregates for one organization, answered by ClickHouse. Every value is a query parameter.
 *
 * A search (`search`, the language of GET /v1/events) narrows every aggregate with the same ClickHouse
 * condition as the events API, its users looked up in Postgres the same way. Like every analytics answer
 * it counts what ClickHouse holds: events the projector has not written yet (which the list merges in
 * from Postgres) are counted once it has, searched or not, so the figures of one view agree with each
 * other and only lag the list by the projector's delay.
 *
 * Every statement but the view's count (which has its own time budget and says when it stopped early) is
 * bounded like a search of the events API: past SEARCH_MAX_ROWS rows read it answers 400, past
 * SEARCH_TIMEOUT 504, both advising to narrow it. Statements the rollups answer read few rows and never
 * come near; a search, a filter the rollups cannot answer, minute buckets or response times over a long
 * window of a large organization read the events and can.
 */
@Injectable()
export class AnalyticsService {
  /** Identical reads (the same statement and values) under way at once share a run: see CoalescedReads. */
  private readonly reads = new CoalescedReads<unknown>();

  constructor(
    private readonly ch: ClickHouse,
    private readonly users: SearchUsersRepository,
    @Inject(ANALYTICS_CONFIG) private readonly config: AnalyticsConfig,
  ) {}

  /** `read`, a bounded statement's run, with ClickHouse's refusal past the bounds turned into the 400 or 504 that says what to do. */
  private async bounded<T>(search: boolean, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw searchLimitError(error, this.config, { field: search ? 'search' : 'from', subject: 'this request', advice: NARROW_ADVICE }) ?? error;
    }
  }

  /** The narrowing's condition on `audit_events` ('1' when nothing narrows), its values added to `params`. */
  private async narrowing(org: string, filter: EventNarrowing, params: Record<string, unknown>): Promise<string> {
    const users = filter.search ? await this.users.resolve(org, narrowingNode(filter)) : new Map<string, string[]>();
    return narrowingClickHouse(filter, users, params);
  }

  /** `read`, shared with the identical reads (the same statement and values, so the same organization) under way. */
  private shared<T>(query: string, params: Record<string, unknown>, read: () => Promise<T>): Promise<T> {
    return this.reads.run(`${query}\u0000${JSON.stringify(params)}`, read) as Promise<T>;
  }

  /**
   * The rows of `query`, bounded by SEARCH_MAX_ROWS and SEARCH_TIMEOUT (its own SETTINGS clause); `search`
   * names the refusal's field. A statement without a search reads the events by organization and time (and
   * action type) only, which the table's own key serves: it skips weighing the search projections (user_keys,
   * ip_keys: useful to a search's user: and ip: terms alone), which ClickHouse does for each of its parts.
   */
  private rows<T>(query: string, params: Record<string, unknown>, search: boolean): Promise<T[]> {
    const statement = `${query} SETTINGS ${searchBoundsSettings(this.config)}${search ? '' : `, ${NO_SEARCH_PROJECTIONS}`}`;
    return this.shared(statement, params, () =>
      this.bounded(search, async () => {
        const result = await this.ch.readClient.query({ query: statement, query_params: params, format: 'JSONEachRow', clickhouse_settings: this.settings() });
        return result.json<T>();
      }),
    );
  }

  private settings() {
    // On a server, readonly guards each request. Embedded chDB applies settings to its one shared
    // session, where readonly would stick and stop the projector's inserts: the SQL here is fixed text.
    return this.ch.mode === 'server'
      ? ({ output_format_json_quote_64bit_integers: 0, readonly: '1' } as const)
      : ({ output_format_json_quote_64bit_integers: 0 } as const);
  }

  /**
   * `rollups: false` (a search, which the rollups cannot answer) leaves the rollups no span: the whole
   * window is then the head edge, read from the events by the same statements.
   */
  private windowParams(org: string, window: AnalyticsWindow, rollups = true): Record<string, unknown> {
    const from = window.from.getTime();
    const to = window.to.getTime();
    const params: Record<string, unknown> = { org, from: toClickHouseTime(window.from), to: toClickHouseTime(window.to) };
    const whole = { hour: { first: window.from, last: window.from }, day: { first: window.from, last: window.from } };
    // The whole hours and whole UTC days inside [from, to), which the rollups answer, and the partial
    // spans before and after them: [from, headTo) and [tailFrom, to), empty when the edge is whole.
    for (const [span, rollup] of [['hour', HOURLY_ROLLUP], ['day', DAILY_USERS_ROLLUP]] as const) {
      // The first whole span starts at `from` rounded up to the span, the whole spans end at `to` rounded down.
      const first = spanStart(rollup, new Date(from + rollup.span.ms - 1));
      const floorTo = spanStart(rollup, window.to);
      const last = floorTo.start < first.start ? first : floorTo;
      whole[span] = { first: first.start, last: last.start };
      params[`${span}From`] = first.param;
      params[`${span}To`] = last.param;
      params[`${span}HeadTo`] = toClickHouseTime(new Date(Math.min(to, first.start.getTime())));
      params[`${span}TailFrom`] = toClickHouseTime(new Date(Math.max(from, last.start.getTime())));
      if (!rollups) {
        params[`${span}To`] = params[`${span}From`];
        params[`${span}HeadTo`] = params.to;
        params[`${span}TailFrom`] = params.to;
      }
    }
    // The whole hours of the partial days, [hourFrom, summaryHeadTo) and [summaryTailFrom, hourTo): what the
    // hourly summary rollup answers between the whole days and the partial hours (see `summary`).
    const hours = rollups ? whole.hour : { first: whole.hour.first, last: whole.hour.first };
    params.summaryHeadTo = spanStart(HOURLY_ROLLUP, new Date(Math.min(hours.last.getTime(), whole.day.first.getTime()))).param;
    params.summaryTailFrom = spanStart(HOURLY_ROLLUP, new Date(Math.max(hours.first.getTime(), whole.day.last.getTime()))).param;
    return params;
  }

  /**
   * The response body `{"items": [{bucket, actionType, count}, …]}`, ClickHouse's own JSON array in bytes:
   * a 30-day hourly series is ~15k items (1.2 MB), and parsing and re-serialising them, or even decoding
   * them to a string and encoding it back, cost more than the query.
   */
  async timeseriesBody(org: string, window: AnalyticsWindow, interval: Interval, filter: EventNarrowing): Promise<Buffer> {
    const types = filter.actionTypes;
    const params: Record<string, unknown> = { ...this.windowParams(org, window), types };
    // The rollups count per action type only: any other filter (the list's user, page, text…) reads the events.
    const query =
      interval === 'minute' || needsEvents(filter)
        ? `SELECT ${isoBucket(BUCKET_OF[interval])} AS bucket, actionType, count() AS count FROM audit_events
           WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}
             AND ${await this.narrowing(org, filter, params)}
           GROUP BY bucket, actionType ORDER BY bucket, actionType`
        : countsSql(interval, types.length > 0);
    // Buckets come formatted and counts as JSON numbers (output_format_json_quote_64bit_integers = 0), the
    // rows as one JSON array: a setting of this query alone (clickhouse_settings would stay set on chDB's
    // shared session and turn every later JSONEachRow answer into an array).
    return this.shared(query, params, () =>
      this.bounded(filter.search !== undefined, async () => {
        const result = await this.ch.readClient.exec({
          query: `${query} SETTINGS output_format_json_array_of_rows = 1, ${searchBoundsSettings(this.config)} FORMAT JSONEachRow`,
          query_params: params,
          clickhouse_settings: this.settings(),
        });
        const chunks: Buffer[] = [ITEMS_OPEN];
        for await (const chunk of result.stream) chunks.push(chunk as Buffer);
        chunks.push(ITEMS_CLOSE);
        return Buffer.concat(chunks);
      }),
    );
  }

  /**
   * The number of events a view of the list holds. Without filters beyond action types it is exact and
   * cheap (whole hours from the hourly rollup, the edges from the events); with them ClickHouse scans the
   * window's events, and stops at {@link COUNT_BUDGET_MS} with what it has counted: a lower bound, marked so.
   */
  async count(org: string, window: AnalyticsWindow, filter: EventNarrowing): Promise<ViewCount> {
    const params: Record<string, unknown> = { ...this.windowParams(org, window), types: filter.actionTypes };
    if (!needsEvents(filter)) {
      const rows = await this.rows<{ count: number }>(`SELECT sum(c) AS count FROM (${countParts(filter.actionTypes.length > 0)})`, params, false);
      return { count: Number(rows[0]?.count ?? 0), approximate: false };
    }
    // Per-query settings in the query's own SETTINGS clause: chDB would keep clickhouse_settings for the whole process.
    const query = `SELECT count() AS count FROM audit_events
       WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}
         AND ${await this.narrowing(org, filter, params)}
       SETTINGS max_execution_time = ${COUNT_BUDGET_MS / 1000}, timeout_overflow_mode = 'break'`;
    // Timed within the shared run: waiting for another request's run is no sign of a count cut short.
    return this.shared(query, params, async () => {
      const started = Date.now();
      const result = await this.ch.readClient.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: this.settings() });
      const rows = await result.json<{ count: number }>();
      return { count: Number(rows[0]?.count ?? 0), approximate: Date.now() - started >= COUNT_BUDGET_MS };
    });
  }

  /**
   * Whole days from the per-user daily rollup, the partial days at the edges from the events (the whole
   * window with a search). A user's email and name are the newest snapshot among their events in the
   * window, whatever the action type filter or search (argMax states merged across both parts); the
   * count is of the events of the filtered types that the search matches.
   */
  async topUsers(org: string, window: AnalyticsWindow, types: ActionType[], limit: number, search?: EventSearch): Promise<TopUserItem[]> {
    const params: Record<string, unknown> = { ...this.windowParams(org, window, !search), types, limit };
    const filtered = types.length > 0;
    const rollupCount = filtered ? 'arraySum(t -> eventsByType[t], {types:Array(String)})' : 'events';
    const eventsCount = search ? `countIf(${await this.narrowing(org, { actionTypes: types, search }, params)})` : filtered ? 'countIf(actionType IN {types:Array(String)})' : 'count()';
    // Aliases differ from column names: ClickHouse would otherwise resolve the WHERE clause to the alias.
    const rows = await this.rows<{ user: string; email: string | null; name: string | null; count: number }>(
      `SELECT user, argMaxMerge(e) AS email, argMaxMerge(n) AS name, sum(c) AS count FROM (
         SELECT userId AS user, userEmail AS e, userName AS n, ${rollupCount} AS c FROM audit_events_daily_users
         WHERE organizationId = {org:String} AND day >= {dayFrom:Date} AND day < {dayTo:Date} AND userId != ''
         UNION ALL
         SELECT assumeNotNull(userId) AS user, argMaxState(toNullable(toString(userEmail)), createdAt) AS e,
                argMaxState(toNullable(toString(userName)), createdAt) AS n, ${eventsCount} AS c
         FROM audit_events
         WHERE organizationId = {org:String} AND ${edgeCondition('day')} AND userId IS NOT NULL
         GROUP BY user
       )
       GROUP BY user HAVING count > 0 ORDER BY count DESC, user LIMIT {limit:UInt32}`,
      params,
      search !== undefined,
    );
    return rows.map((r) => ({ userId: r.user, email: r.email, userName: r.name, count: Number(r.count) }));
  }

  async responseTimes(org: string, window: AnalyticsWindow, groupBy: GroupBy, limit: number, search?: EventSearch): Promise<ResponseTimeItem[]> {
    // groupBy is one of three column names checked by the caller; it is an identifier, never a value.
    const column = ({ pageName: 'pageName', queryName: 'queryName', resourceName: 'resourceName' } as const)[groupBy];
    const params: Record<string, unknown> = { ...this.windowParams(org, window), limit };
    const narrowing = await this.narrowing(org, { actionTypes: [], search }, params);
    const rows = await this.rows<{ name: string; count: number; q: number[]; max: number }>(
      `SELECT assumeNotNull(${column}) AS name, count() AS count,
              quantilesExact(0.5, 0.95, 0.99)(assumeNotNull(responseTimeMs)) AS q, max(assumeNotNull(responseTimeMs)) AS max
       FROM audit_events
       WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}
         AND ${column} IS NOT NULL AND responseTimeMs IS NOT NULL AND ${narrowing}
       GROUP BY name ORDER BY q[2] DESC, name LIMIT {limit:UInt32}`,
      params,
      search !== undefined,
    );
    return rows.map((r) => ({ name: r.name, count: Number(r.count), p50: Number(r.q[0]), p95: Number(r.q[1]), p99: Number(r.q[2]), max: Number(r.max) }));
  }

  /**
   * One pass over three parts of [from, to) that never overlap: the whole UTC days from the per-user daily
   * rollup, the whole hours of the partial days at either edge from the hourly summary rollup, and the
   * partial hours at either edge from the events. Counts per action type add up; distinct users and IPs
   * are the union of each part's sets. IPs are counted by their 64-bit cityHash: exact short of a collision
   * (probability ~n²/2⁶⁵, below 1e-8 for a million distinct values), and half the work of uniqExact's
   * 128-bit hash of the text. With a search, the whole window is read from the events that match it.
   *
   * Why the hourly part: "the last 7 days" ends in today, a partial day, and reading it from the events
   * meant every event of today on every poll (the console's, a dashboard's), growing all day and
   * competing with the projector for the same cores. Now at most two partial hours are read.
   */
  async summary(org: string, window: AnalyticsWindow, search?: EventSearch): Promise<Summary> {
    const params = this.windowParams(org, window, !search);
    const narrowing = await this.narrowing(org, { actionTypes: [], search }, params);
    const rows = await this.rows<{ types: Record<string, number>; users: number; ips: number }>(
      `SELECT sumMap(t) AS types, uniqExactMerge(u) AS users, uniqExactMerge(i) AS ips FROM (
         SELECT sumMap(eventsByType) AS t, uniqExactStateIf(userId, userId != '') AS u, uniqExactMergeState(ipAddresses) AS i
         FROM audit_events_daily_users
         WHERE organizationId = {org:String} AND day >= {dayFrom:Date} AND day < {dayTo:Date}
         UNION ALL
         SELECT sumMap(eventsByType) AS t, uniqExactMergeState(users) AS u, uniqExactMergeState(ipAddresses) AS i
         FROM audit_events_hourly_summary
         WHERE organizationId = {org:String}
           AND ((hour >= {hourFrom:DateTime('UTC')} AND hour < {summaryHeadTo:DateTime('UTC')}) OR (hour >= {summaryTailFrom:DateTime('UTC')} AND hour < {hourTo:DateTime('UTC')}))
         UNION ALL
         SELECT sumMap(map(actionType, toUInt64(1))) AS t, uniqExactStateIf(toString(ifNull(userId, '')), ifNull(userId, '') != '') AS u,
                uniqExactState(cityHash64(ipAddress)) AS i
         FROM audit_events
         WHERE organizationId = {org:String} AND ${edgeCondition('hour')} AND ${narrowing}
       )`,
      params,
      search !== undefined,
    );
    const row = rows[0];
    const items = Object.entries(row?.types ?? {})
      .map(([actionType, count]) => ({ actionType, count: Number(count) }))
      .filter((i) => i.count > 0)
      .sort((a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType));
    return {
      total: items.reduce((sum, i) => sum + i.count, 0),
      distinctUsers: Number(row?.users ?? 0),
      distinctIps: Number(row?.ips ?? 0),
      items,
    };
  }
}
