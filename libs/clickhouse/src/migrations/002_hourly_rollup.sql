-- Dashboard rollup: events and response time per organization x action type x hour.
CREATE TABLE IF NOT EXISTS audit_events_hourly
(
    organizationId LowCardinality(String),
    actionType LowCardinality(String),
    hour DateTime('UTC'),
    events UInt64,
    responseTimeMsSum UInt64,
    responseTimeCount UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (organizationId, hour, actionType);

CREATE MATERIALIZED VIEW IF NOT EXISTS audit_events_hourly_mv TO audit_events_hourly AS
SELECT
    organizationId,
    actionType,
    toStartOfHour(createdAt) AS hour,
    count() AS events,
    sum(ifNull(responseTimeMs, 0)) AS responseTimeMsSum,
    countIf(responseTimeMs IS NOT NULL) AS responseTimeCount
FROM audit_events
GROUP BY organizationId, actionType, hour
