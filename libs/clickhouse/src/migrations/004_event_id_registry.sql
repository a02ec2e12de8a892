-- Every event id the projection holds completely (its row in audit_events and its rows in every rollup),
-- per organization, for all time. The projector skips an id found here whatever its createdAt (a re-send
-- without createdAt after the bus's dedup window gets a new one), and an id found in audit_events but not
-- here marks an attempt that crashed between the two, whose rollup spans it rebuilds. Ordered by
-- (organizationId, id): the check reads a batch's ids by the primary key, and the same id in two
-- organizations is two entries. Not partitioned and never purged: retention drops months of the events and
-- the rollups, while an id stays used forever.
CREATE TABLE IF NOT EXISTS audit_event_ids
(
    organizationId LowCardinality(String),
    id UUID
)
ENGINE = ReplacingMergeTree
ORDER BY (organizationId, id);

-- The events projected before this migration are taken as complete: rollups left short by a crash before it
-- are put right by `npm run cli -- projections rebuild`.
INSERT INTO audit_event_ids SELECT organizationId, id FROM audit_events;
