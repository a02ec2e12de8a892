/**
 * The rollups read back, and the same aggregates computed directly from `audit_events`, row for row in
 * the same order and shape: a test expects the two queries to answer the same rows.
 */
export const ROLLUP_CHECKS = {
  hourly: {
    rollup: `SELECT organizationId, actionType, toString(hour) AS hour, sum(events) AS events, sum(responseTimeMsSum) AS rtSum, sum(responseTimeCount) AS rtCount
             FROM audit_events_hourly GROUP BY organizationId, actionType, hour HAVING events > 0 ORDER BY organizationId, actionType, hour`,
    events: `SELECT organizationId, actionType, toString(toStartOfHour(createdAt)) AS hour, count() AS events,
                    sum(ifNull(responseTimeMs, 0)) AS rtSum, countIf(responseTimeMs IS NOT NULL) AS rtCount
             FROM audit_events GROUP BY organizationId, actionType, hour ORDER BY organizationId, actionType, hour`,
  },
  dailyUsers: {
    rollup: `SELECT organizationId, toString(day) AS d, userId AS u, sum(events) AS events, toJSONString(sumMap(eventsByType)) AS types,
                    argMaxMerge(userEmail) AS email, argMaxMerge(userName) AS name, uniqExactMerge(ipAddresses) AS ips
             FROM audit_events_daily_users GROUP BY organizationId, d, u HAVING events > 0 ORDER BY organizationId, d, u`,
    events: `SELECT organizationId, toString(toDate(createdAt)) AS d, ifNull(userId, '') AS u, count() AS events,
                    toJSONString(sumMap(map(toString(actionType), toUInt64(1)))) AS types,
                    argMax(toNullable(toString(userEmail)), createdAt) AS email, argMax(toNullable(toString(userName)), createdAt) AS name,
                    uniqExact(ipAddress) AS ips
             FROM audit_events GROUP BY organizationId, d, u ORDER BY organizationId, d, u`,
  },
  hourlySummary: {
    rollup: `SELECT organizationId, toString(hour) AS h, toJSONString(sumMap(eventsByType)) AS types, uniqExactMerge(users) AS users, uniqExactMerge(ipAddresses) AS ips
             FROM audit_events_hourly_summary GROUP BY organizationId, h HAVING types != '{}' ORDER BY organizationId, h`,
    events: `SELECT organizationId, toString(toStartOfHour(createdAt)) AS h, toJSONString(sumMap(map(toString(actionType), toUInt64(1)))) AS types,
                    uniqExactIf(userId, ifNull(userId, '') != '') AS users, uniqExact(ipAddress) AS ips
             FROM audit_events GROUP BY organizationId, h ORDER BY organizationId, h`,
  },
} as const;

/**
 * One row comparing a rollup with its direct aggregate inside ClickHouse, for callers that must not read
 * every row back (a CLI's output, a large data set): how many aggregate rows the rollup lacks or gets
 * wrong (`missing`), how many it has that the events do not give (`extra`), and how many there are.
 * Both are 0 exactly when the two queries of the check answer the same rows.
 */
export function rollupDifferenceQuery(check: { rollup: string; events: string }): string {
  return `SELECT (SELECT count() FROM ((${check.events}) EXCEPT ALL (${check.rollup}))) AS missing,
                 (SELECT count() FROM ((${check.rollup}) EXCEPT ALL (${check.events}))) AS extra,
                 (SELECT count() FROM (${check.events})) AS rows`;
}
