import { Injectable } from '@nestjs/common';
import type { ActionType, ResponseTimeItem, Summary, TopUserItem } from '@audit/contracts';

export type { ResponseTimeItem, Summary, TimeseriesItem, TopUserItem } from '@audit/contracts';
import { ClickHouse, toClickHouseTime } from '@audit/clickhouse';
import type { AnalyticsWindow, GroupBy, Interval } from './query-params';

const HOUR_MS = 3_600_000;

/**
 * Event counts per (bucket, action type) for [from, to): whole hours come from the hourly rollup and
 * the partial hours at either edge from the events themselves, so any window is exact and long ones
 * stay cheap. `bucketExpr` maps the `ts` column (a DateTime) to the bucket.
 */
function countsSql(bucketExpr: string, withTypes: boolean): string {
  const typeFilter = withTypes ? 'AND actionType IN {types:Array(String)}' : '';
  return `
    SELECT ${isoBucket(bucketExpr)} AS bucket, actionType, sum(c) AS count FROM (
      SELECT hour AS ts, actionType, sum(events) AS c FROM audit_events_hourly
      WHERE organizationId = {org:String} AND hour >= {fullFrom:DateTime('UTC')} AND hour < {fullTo:DateTime('UTC')} ${typeFilter}
      GROUP BY ts, actionType
      UNION ALL
      SELECT toStartOfHour(createdAt) AS ts, actionType, count() AS c FROM audit_events
      WHERE organizationId = {org:String}
        AND ((createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < least({to:DateTime64(3, 'UTC')}, {fullFrom:DateTime64(3, 'UTC')}))
          OR (createdAt >= greatest({from:DateTime64(3, 'UTC')}, {fullTo:DateTime64(3, 'UTC')}) AND createdAt < {to:DateTime64(3, 'UTC')}))
        ${typeFilter}
      GROUP BY ts, actionType
    )
    GROUP BY bucket, actionType
    ORDER BY bucket, actionType`;
}

/** The bucket as the API's ISO-8601 text, formatted by ClickHouse: long series skip a per-row conversion here. */
function isoBucket(expr: string): string {
  return `formatDateTime(${expr}, '%Y-%m-%dT%H:%i:%S.000Z', 'UTC')`;
}

/** Read-only aggregates for one organization, answered by ClickHouse. Every value is a query parameter. */
@Injectable()
export class AnalyticsService {
  constructor(private readonly ch: ClickHouse) {}

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: this.settings() });
    return result.json<T>();
  }

  private settings() {
    // On a server, readonly guards each request. Embedded chDB applies settings to its one shared
    // session, where readonly would stick and stop the projector's inserts: the SQL here is fixed text.
    return this.ch.mode === 'server'
      ? ({ output_format_json_quote_64bit_integers: 0, readonly: '1' } as const)
      : ({ output_format_json_quote_64bit_integers: 0 } as const);
  }

  private windowParams(org: string, window: AnalyticsWindow): Record<string, unknown> {
    const from = window.from.getTime();
    const to = window.to.getTime();
    // Whole hours inside [from, to): the rollup answers those.
    const fullFrom = Math.ceil(from / HOUR_MS) * HOUR_MS;
    const fullTo = Math.max(fullFrom, Math.floor(to / HOUR_MS) * HOUR_MS);
    return {
      org,
      from: toClickHouseTime(new Date(from)),
      to: toClickHouseTime(new Date(to)),
      fullFrom: toClickHouseTime(new Date(fullFrom)).slice(0, 19),
      fullTo: toClickHouseTime(new Date(fullTo)).slice(0, 19),
    };
  }

  /**
   * The response body `{"items": [{bucket, actionType, count}, …]}`, assembled from ClickHouse's own JSON
   * rows: a 30-day hourly series is ~15k items, and parsing and re-serialising them cost more than the query.
   */
  async timeseriesBody(org: string, window: AnalyticsWindow, interval: Interval, types: ActionType[]): Promise<string> {
    const params = { ...this.windowParams(org, window), types };
    const typeFilter = types.length > 0 ? 'AND actionType IN {types:Array(String)}' : '';
    const query =
      interval === 'minute'
        ? `SELECT ${isoBucket('toStartOfMinute(createdAt)')} AS bucket, actionType, count() AS count FROM audit_events
           WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')} ${typeFilter}
           GROUP BY bucket, actionType ORDER BY bucket, actionType`
        : countsSql(interval === 'hour' ? 'ts' : 'toStartOfDay(ts)', types.length > 0);
    // Buckets come formatted and counts as JSON numbers (output_format_json_quote_64bit_integers = 0);
    // JSONEachRow escapes newlines inside values, so a raw newline only ever separates two rows.
    const result = await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: this.settings() });
    const rows = (await result.text()).trimEnd();
    return `{"items":[${rows.replace(/\n/g, ',')}]}`;
  }

  async topUsers(org: string, window: AnalyticsWindow, types: ActionType[], limit: number): Promise<TopUserItem[]> {
    const typeFilter = types.length > 0 ? 'AND actionType IN {types:Array(String)}' : '';
    // Aliases differ from column names: ClickHouse would otherwise resolve the WHERE clause to the alias.
    const rows = await this.rows<{ user: string; email: string | null; name: string | null; count: number }>(
      `SELECT assumeNotNull(userId) AS user, argMax(userEmail, createdAt) AS email, argMax(userName, createdAt) AS name, count() AS count
       FROM audit_events
       WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}
         AND userId IS NOT NULL ${typeFilter}
       GROUP BY user ORDER BY count DESC, user LIMIT {limit:UInt32}`,
      { ...this.windowParams(org, window), types, limit },
    );
    return rows.map((r) => ({ userId: r.user, email: r.email, userName: r.name, count: Number(r.count) }));
  }

  async responseTimes(org: string, window: AnalyticsWindow, groupBy: GroupBy, limit: number): Promise<ResponseTimeItem[]> {
    // groupBy is one of three column names checked by the caller; it is an identifier, never a value.
    const column = ({ pageName: 'pageName', queryName: 'queryName', resourceName: 'resourceName' } as const)[groupBy];
    const rows = await this.rows<{ name: string; count: number; q: number[]; max: number }>(
      `SELECT assumeNotNull(${column}) AS name, count() AS count,
              quantilesExact(0.5, 0.95, 0.99)(assumeNotNull(responseTimeMs)) AS q, max(assumeNotNull(responseTimeMs)) AS max
       FROM audit_events
       WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}
         AND ${column} IS NOT NULL AND responseTimeMs IS NOT NULL
       GROUP BY name ORDER BY q[2] DESC, name LIMIT {limit:UInt32}`,
      { ...this.windowParams(org, window), limit },
    );
    return rows.map((r) => ({ name: r.name, count: Number(r.count), p50: Number(r.q[0]), p95: Number(r.q[1]), p99: Number(r.q[2]), max: Number(r.max) }));
  }

  async summary(org: string, window: AnalyticsWindow): Promise<Summary> {
    const params = this.windowParams(org, window);
    const [counts, distinct] = await Promise.all([
      this.rows<{ actionType: string; count: number }>(countsSql('toDateTime(0)', false), params),
      this.rows<{ users: number; ips: number }>(
        // uniqExact hashes a string to 128 bits (SipHash); a 64-bit cityHash is twice as fast here and stays
        // exact short of a collision (probability ~n²/2⁶⁵: below 1e-8 for a million distinct values).
        `SELECT uniqExact(cityHash64(userId)) AS users, uniqExact(cityHash64(ipAddress)) AS ips FROM audit_events
         WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}`,
        params,
      ),
    ]);
    const items = counts.map((r) => ({ actionType: r.actionType, count: Number(r.count) })).sort((a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType));
    return {
      total: items.reduce((sum, i) => sum + i.count, 0),
      distinctUsers: Number(distinct[0]?.users ?? 0),
      distinctIps: Number(distinct[0]?.ips ?? 0),
      items,
    };
  }
}
