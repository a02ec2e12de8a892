import { fromClickHouseTime, type ClickHouseEventsRepository, type EncodedEventRow } from '@audit/clickhouse';
import type { ErasuresRepository } from '@audit/persistence';

/** What a row must tell for its person's erasure to be re-applied: whose it is and when it was received. */
export type ErasableRow = Pick<EncodedEventRow, 'organizationId' | 'userId' | 'receivedAt'>;

/**
 * Re-applies in ClickHouse, after a batch's rows are stored there, each erasure committed in Postgres that
 * covers one of them (isErasedBy: the person's erasure at or after the event's receipt), and returns how
 * many people that was. Called once the insert has committed, it closes the gap of a batch in flight:
 *
 * - an erasure committed before this read is seen here, and its ClickHouse statement re-run now, after
 *   the insert, so the rows it missed (decoded before it, inserted after its statement) are emptied;
 * - one committed after this read runs its own ClickHouse statement after that commit, so after the
 *   insert: it empties these rows itself.
 *
 * Emptying the rows before the insert instead would still need this check after it (an erasure committed
 * during the insert), so the check after the insert alone is the simpler of the two, and just as exact.
 * The ClickHouse erasure matches the person's rows still holding their user id, so a repeat (or an
 * erasure API request finishing at the same moment) empties nothing twice.
 */
export async function reapplyErasures(
  rows: readonly ErasableRow[],
  erasures: Pick<ErasuresRepository, 'latestCovering'>,
  clickhouse: Pick<ClickHouseEventsRepository, 'eraseUser'>,
): Promise<number> {
  const earliest = new Map<string, { organizationId: string; userId: string; receivedAt: number }>();
  for (const row of rows) {
    if (row.userId === null) continue;
    const key = `${row.organizationId}\u0000${row.userId}`;
    const receivedAt = fromClickHouseTime(row.receivedAt);
    const known = earliest.get(key);
    if (known === undefined) earliest.set(key, { organizationId: row.organizationId, userId: row.userId, receivedAt });
    else if (receivedAt < known.receivedAt) known.receivedAt = receivedAt;
  }
  if (earliest.size === 0) return 0;
  const covering = await erasures.latestCovering([...earliest.values()].map((p) => ({ ...p, receivedAt: new Date(p.receivedAt) })));
  // One at a time: each is a mutation and a rollup rebuild, and they are rare.
  for (const erasure of covering) await clickhouse.eraseUser(erasure.organizationId, erasure.userId, erasure.erasedAt);
  return covering.length;
}
