-- Search at scale (issue 17), two layouts for the searches ClickHouse served slowly.
--
-- ClickHouse migrations have no down step (the projection is rebuilt from Postgres instead). To take this
-- one back by hand: ALTER TABLE audit_events DROP PROJECTION IF EXISTS user_keys, then DROP COLUMN IF EXISTS
-- ipV4 and ipV6, then RESET SETTING deduplicate_merge_projection_mode, lightweight_mutation_projection_mode,
-- and delete '006_search_layout' from schema_migrations (the code before it does not read any of them).
--
-- ip: the stored address read once, when the row is written, as the search language reads it (libs/search,
-- ip-columns.ts, whose IP_V4_EXPRESSION and IP_V6_EXPRESSION are these expressions, checked by a test):
-- `ip:` compares 4 or 16 bytes a row instead of parsing every ipAddress text. NULL where the text is no
-- address of that family. The families stay apart (`1.2.3.4` and `::ffff:1.2.3.4` answer different ranges).
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS ipV4 Nullable(IPv4) MATERIALIZED if(match(ifNull(ipAddress, ''), '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'), toIPv4OrNull(ifNull(ipAddress, '')), NULL);

ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS ipV6 Nullable(IPv6) MATERIALIZED if(position(ifNull(ipAddress, ''), ':') > 0 AND match(ifNull(ipAddress, ''), '^([0-9A-Fa-f:]+|[0-9A-Fa-f:]*:(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])([.](25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})$'), toIPv6OrNull(ifNull(ipAddress, '')), NULL);

-- Parts written before this migration would compute the columns on every read (correct, as slow as before):
-- a background mutation writes them into those parts.
ALTER TABLE audit_events MATERIALIZE COLUMN ipV4;

ALTER TABLE audit_events MATERIALIZE COLUMN ipV6;

-- user: a user's ~1,100 events are spread over every granule of a large organization's millions, so the
-- userId bloom filter skips almost nothing. A projection keeps each part's search keys a second time, sorted
-- by user: a user's page reads that user's few granules of it (the optimizer picks it when it reads fewer
-- marks; any other search reads the table). Kept narrow, only what such a page reads: ~30 bytes a row.
-- A ReplacingMergeTree refuses projections unless told what a merge that collapses rows does to them, and
-- DELETE FROM (retention's per-organization purge) refuses them unless told what a lightweight delete does:
-- both rebuild the projection of the part, so it never holds a row the table no longer has.
ALTER TABLE audit_events MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE audit_events ADD PROJECTION IF NOT EXISTS user_keys (SELECT organizationId, userId, createdAt, id ORDER BY (organizationId, userId, createdAt));

-- New parts get the projection as they are written; a background mutation builds it for the older parts.
ALTER TABLE audit_events MATERIALIZE PROJECTION user_keys
