-- Search (libs/search). Free text is matched in one lower-cased column, one part per line: page, query and
-- resource names and the query text (metadata.query when a string). A search text holds no line break, so
-- one LIKE over the column is exactly the OR of a LIKE over each part, and its n-gram bloom filter lets a
-- rare text skip most granules. Parts written before this migration compute the column when read.
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS searchText String MATERIALIZED lowerUTF8(concat(ifNull(pageName, ''), '\n', ifNull(queryName, ''), '\n', ifNull(resourceName, ''), '\n', if(JSONType(metadata, 'query') = 'String', JSONExtractString(metadata, 'query'), ''))) CODEC(ZSTD(3));

ALTER TABLE audit_events ADD INDEX IF NOT EXISTS search_text_ngrams searchText TYPE ngrambf_v1(3, 32768, 3, 0) GRANULARITY 1;

-- user:, and free text matching users' e-mails or names, compare userId with a list of ids.
ALTER TABLE audit_events ADD INDEX IF NOT EXISTS user_id_bloom userId TYPE bloom_filter(0.01) GRANULARITY 1;

-- The projector's high-water mark: the newest receivedAt of the events it has committed. A search reads
-- the events received after it (less a margin, SEARCH_FRESHNESS_MARGIN) from Postgres, so an event Postgres
-- has but the projector has not written yet is still found. Never decreases: the replacing version is the
-- mark itself, and readers take max().
CREATE TABLE IF NOT EXISTS projection_progress
(
    consumer LowCardinality(String),
    watermark DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(watermark)
ORDER BY consumer;

INSERT INTO projection_progress SELECT 'projector', max(receivedAt) FROM audit_events;
