/**
 * The lock that orders an erasure against the writers' batches and the sealers' appends of its organization, so neither misses the
 * other under READ COMMITTED. Without it, an erasure's UPDATE does not see a batch still uncommitted (the
 * batch then commits the person's events whole), and the batch's INSERT does not see an erasure still
 * uncommitted (it stores them whole too).
 *
 * The same holds for a sealer's append and the leaves' salts and `user` snapshots.
 *
 * A transaction-scoped advisory lock per organization: each writer batch and sealer append takes it shared
 * (they never wait for each other), an erasure exclusive (it waits for the batches in flight to commit and holds back
 * new ones until it commits). Each takes it in a statement of its own, before the statements that read:
 * READ COMMITTED takes a statement's snapshot when the statement starts, so only a statement begun after
 * the lock was granted sees what the other side committed.
 *
 * The two-key form (class, hash of the organization) keeps these locks apart from the single-key ones the
 * migrations, partitions, retention and alerts take; two organizations with the same hash only share a
 * lock, which orders them needlessly but never wrongly.
 */
const ERASURE_LOCK_CLASS = 720_439;

/** The SQL expression that takes the erasure lock of the organization `org` (SQL text) shared: a sealer's append. */
export const erasureLockShared = (org: string): string => `pg_advisory_xact_lock_shared(${ERASURE_LOCK_CLASS}, hashtext(${org}))`;

/** Takes the erasure lock of each organization of `$1` (text[]) shared, in hash order: no two batches deadlock. */
export const LOCK_ORGANIZATIONS_FOR_WRITE = `
  SELECT pg_advisory_xact_lock_shared(${ERASURE_LOCK_CLASS}, h)
  FROM (SELECT DISTINCT hashtext(org) AS h FROM unnest($1::text[]) AS t(org) ORDER BY h) o`;

/** Takes the erasure lock of the organization `$1` exclusive. */
export const LOCK_ORGANIZATION_FOR_ERASURE = `SELECT pg_advisory_xact_lock(${ERASURE_LOCK_CLASS}, hashtext($1))`;

/**
 * The SQL condition that an erasure covers an event (contracts' isErasedBy): its person (`org`, `uid`, SQL
 * text) has an erasure at or after the event's receipt (`received`). The writer's insert and the sealer's
 * append test it once they hold the lock above.
 */
export const erasedInSql = (org: string, uid: string, received: string): string =>
  `EXISTS (SELECT 1 FROM erasures e WHERE e."organizationId" = ${org} AND e."userId" = ${uid} AND e."erasedAt" >= ${received})`;
