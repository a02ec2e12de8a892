import { toClickHouseTime } from './time';

/**
 * A rollup a materialized view keeps from `audit_events` (migrations 002, 003 and 008), partitioned by the
 * month of its span like the events. What removing events must know of it: the span of one row, and the
 * view's aggregate, to recompute the span a cut falls in from the events that are kept.
 */
export interface Rollup {
  table: string;
  /**
   * The column holding the start of a row's span (UTC), its type as a query parameter, the span, and the
   * expression giving an event's span from `audit_events` (as the view computes it).
   */
  span: { column: 'hour' | 'day'; type: "DateTime('UTC')" | 'Date'; ms: number; ofEvent: 'toStartOfHour(createdAt)' | 'toDate(createdAt)' };
  /** The view's SELECT over the events matching `where` (fixed text and parameters), read from `source`. */
  select(where: string, source?: string): string;
}

export const HOURLY_ROLLUP: Rollup = {
  table: 'audit_events_hourly',
  span: { column: 'hour', type: "DateTime('UTC')", ms: 3_600_000, ofEvent: 'toStartOfHour(createdAt)' },
  select: (where, source = 'audit_events') => `
    SELECT organizationId, actionType, toStartOfHour(createdAt) AS hour, count() AS events,
           sum(ifNull(responseTimeMs, 0)) AS responseTimeMsSum, countIf(responseTimeMs IS NOT NULL) AS responseTimeCount
    FROM ${source} WHERE ${where}
    GROUP BY organizationId, actionType, hour`,
};

export const DAILY_USERS_ROLLUP: Rollup = {
  table: 'audit_events_daily_users',
  span: { column: 'day', type: 'Date', ms: 86_400_000, ofEvent: 'toDate(createdAt)' },
  select: (where, source = 'audit_events') => `
    SELECT organizationId, toDate(createdAt) AS day, ifNull(userId, '') AS userId, count() AS events,
           sumMap(map(toString(actionType), toUInt64(1))) AS eventsByType,
           argMaxState(toNullable(toString(userEmail)), createdAt) AS userEmail,
           argMaxState(toNullable(toString(userName)), createdAt) AS userName,
           uniqExactState(cityHash64(ipAddress)) AS ipAddresses
    FROM ${source} WHERE ${where}
    GROUP BY organizationId, day, userId`,
};

/**
 * The summary's hours (migration 008): per organization and hour, events per action type and the sets of
 * users and of IP hashes, for the whole hours of a window's partial days (whole days come from
 * {@link DAILY_USERS_ROLLUP}).
 */
export const HOURLY_SUMMARY_ROLLUP: Rollup = {
  table: 'audit_events_hourly_summary',
  span: { column: 'hour', type: "DateTime('UTC')", ms: 3_600_000, ofEvent: 'toStartOfHour(createdAt)' },
  select: (where, source = 'audit_events') => `
    SELECT organizationId, toStartOfHour(createdAt) AS hour,
           sumMap(map(actionType, toUInt64(1))) AS eventsByType,
           uniqExactStateIf(toString(ifNull(userId, '')), ifNull(userId, '') != '') AS users,
           uniqExactState(cityHash64(ipAddress)) AS ipAddresses
    FROM ${source} WHERE ${where}
    GROUP BY organizationId, hour`,
};

export const ROLLUPS: readonly Rollup[] = [HOURLY_ROLLUP, DAILY_USERS_ROLLUP, HOURLY_SUMMARY_ROLLUP];

/** The start of the span holding `instant`, as the query parameter text of the span column. */
export function spanStart(rollup: Rollup, instant: Date): { start: Date; param: string } {
  const start = new Date(Math.floor(instant.getTime() / rollup.span.ms) * rollup.span.ms);
  const text = toClickHouseTime(start);
  return { start, param: rollup.span.type === 'Date' ? text.slice(0, 10) : text.slice(0, 19) };
}
