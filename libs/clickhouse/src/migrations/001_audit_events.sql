-- The event projection: one row per event, read per organization and time range.
-- ReplacingMergeTree collapses a row inserted twice (a replay racing the projector's own
-- duplicate check) when parts merge; the projector avoids inserting duplicates in the first place.
CREATE TABLE IF NOT EXISTS audit_events
(
    id UUID,
    organizationId LowCardinality(String),
    actionType LowCardinality(String),
    -- Users, pages, queries and resources repeat endlessly within an organization: dictionary-encoded
    -- columns group and compare as integers (top users and response times read them for every row).
    userId LowCardinality(Nullable(String)),
    userEmail LowCardinality(Nullable(String)),
    userName LowCardinality(Nullable(String)),
    ipAddress Nullable(String),
    responseTimeMs Nullable(UInt32),
    pageName LowCardinality(Nullable(String)),
    queryName LowCardinality(Nullable(String)),
    resourceName LowCardinality(Nullable(String)),
    metadata String CODEC(ZSTD(3)),
    createdAt DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    receivedAt DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(createdAt)
ORDER BY (organizationId, createdAt, id)
SETTINGS index_granularity = 8192
