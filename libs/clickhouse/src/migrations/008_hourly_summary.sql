-- Per-organization hourly rollup for the analytics summary: events per action type, and the sets of users
-- and of IP addresses (as 64-bit hashes, as the daily per-user rollup keeps them) of each hour. The summary
-- reads whole days from the daily per-user rollup; the hours of the window's partial days came from the
-- events themselves, which for "the last 7 days" meant every event of today, on every poll. Whole hours
-- now come from here and only the partial hours at either edge from the events.
-- The view keys the map by the LowCardinality actionType itself: toString() of it for every row made this
-- view cost the projector about as much CPU as its insert into audit_events (a batch of 1000 rows), the
-- key as it is hardly anything (its type becomes the column's String once per aggregated row).
CREATE TABLE IF NOT EXISTS audit_events_hourly_summary
(
    organizationId LowCardinality(String),
    hour DateTime('UTC'),
    eventsByType SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    users AggregateFunction(uniqExact, String),
    ipAddresses AggregateFunction(uniqExact, Nullable(UInt64))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (organizationId, hour)
-- A row holds whole sets (kilobytes for a busy hour) and a read wants a few hours of one organization: with
-- the default 8192 rows a granule, the summary decoded every hour of the month's part to keep the few it asked for.
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_summary_mv TO audit_events_hourly_summary AS
SELECT
    organizationId,
    toStartOfHour(createdAt) AS hour,
    sumMap(map(actionType, toUInt64(1))) AS eventsByType,
    uniqExactStateIf(toString(ifNull(userId, '')), ifNull(userId, '') != '') AS users,
    uniqExactState(cityHash64(ipAddress)) AS ipAddresses
FROM audit_events
GROUP BY organizationId, hour;

-- The events projected before this migration (as migration 003's backfill: it runs once, under the
-- migration lock, before this process consumes; `npm run cli -- projections rebuild` recomputes everything).
INSERT INTO audit_events_hourly_summary
SELECT
    organizationId,
    toStartOfHour(createdAt) AS hour,
    sumMap(map(actionType, toUInt64(1))) AS eventsByType,
    uniqExactStateIf(toString(ifNull(userId, '')), ifNull(userId, '') != '') AS users,
    uniqExactState(cityHash64(ipAddress)) AS ipAddresses
FROM audit_events
GROUP BY organizationId, hour
