import type { ClickHouseClient } from '@clickhouse/client';
import { compileClickHouse, type ResolvedUsers, type SearchNode } from '@audit/search';
import { meets, windowOf, type AlertCondition, type GroupCount } from './conditions';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const toCh = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * The ClickHouse statement of one alert's figures at `now`, one row per group (per actor, or one for the
 * organization). A baseline reads the last hour and the same hour of each of the 7 days before in one scan
 * (events whose offset from the window's start, modulo a day, is under an hour), and averages the latter.
 * Working hours are excluded in the condition's zone. Every value is a parameter.
 */
export function alertCountsQuery(
  organizationId: string,
  node: SearchNode,
  users: ResolvedUsers,
  condition: AlertCondition,
  now: Date,
): { query: string; params: Record<string, unknown> } {
  const search = compileClickHouse(node, users);
  const { from, to } = windowOf(condition, now);
  const params: Record<string, unknown> = { ...search.params, a_org: organizationId, a_from: toCh(from), a_to: toCh(to) };
  const group = condition.perUser ? 'userId' : 'CAST(NULL AS Nullable(String))';
  if (condition.kind === 'baseline') {
    params.a_since = toCh(new Date(from.getTime() - 7 * DAY_MS));
    params.a_fromMs = from.getTime();
    return {
      query: `SELECT ${group} AS g, countIf(createdAt >= {a_from:DateTime64(3, 'UTC')}) AS n, countIf(createdAt < {a_from:DateTime64(3, 'UTC')}) / 7 AS b
              FROM audit_events
              WHERE organizationId = {a_org:String} AND createdAt >= {a_since:DateTime64(3, 'UTC')} AND createdAt < {a_to:DateTime64(3, 'UTC')}
                AND ((toUnixTimestamp64Milli(createdAt) - {a_fromMs:Int64}) % ${DAY_MS} + ${DAY_MS}) % ${DAY_MS} < ${HOUR_MS}
                AND ${search.sql}
              GROUP BY g`,
      params,
    };
  }
  let hours = '';
  if (condition.outsideHours) {
    const { fromHour, toHour, timeZone } = condition.outsideHours;
    Object.assign(params, { a_h0: fromHour, a_h1: toHour, a_tz: timeZone });
    hours = `AND NOT (toDayOfWeek(createdAt, 0, {a_tz:String}) <= 5 AND toHour(toTimeZone(createdAt, {a_tz:String})) >= {a_h0:UInt8} AND toHour(toTimeZone(createdAt, {a_tz:String})) < {a_h1:UInt8})`;
  }
  return {
    query: `SELECT ${group} AS g, count() AS n FROM audit_events
            WHERE organizationId = {a_org:String} AND createdAt >= {a_from:DateTime64(3, 'UTC')} AND createdAt < {a_to:DateTime64(3, 'UTC')}
              ${hours} AND ${search.sql}
            GROUP BY g`,
    params,
  };
}

/** One alert's firing groups at `now`: every group whose figures meet the condition. */
export async function evaluateAlert(
  client: ClickHouseClient,
  organizationId: string,
  node: SearchNode,
  users: ResolvedUsers,
  condition: AlertCondition,
  now: Date,
): Promise<GroupCount[]> {
  const { query, params } = alertCountsQuery(organizationId, node, users, condition, now);
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  const rows = await result.json<{ g: string | null; n: string | number; b?: string | number }>();
  return rows
    .map((r) => ({ userId: r.g, count: Number(r.n), ...(r.b === undefined ? {} : { baseline: Number(r.b) }) }))
    .filter((group) => meets(condition, group));
}
