import { searchBoundsSettings, type SearchBounds } from '@audit/clickhouse';
import type { Cursor } from '@audit/event-filter';
import { compileClickHouse, type ResolvedUsers, type SearchNode } from '@audit/search';

/** A position as ClickHouse gives it: the id's text and createdAt's (`2026-11-29 05:00:00.123`). */
export interface ProjectedKeyRow {
  i: string;
  c: string;
}

/** Runs one statement of {@link readProjectedKeys} (the events API through its client, the benchmark straight to chDB). */
export type ProjectedKeysRunner = (query: string, params: Record<string, unknown>) => Promise<ProjectedKeyRow[]>;

/** `2026-11-29 05:00:00.123456` (UTC): the keyset position's instant, as both stores' keys compare. */
export function instantOf(cursor: Cursor): string {
  const [seconds, fraction = ''] = cursor.createdAt.replace(/\+00$/, '').split('.');
  return `${seconds}.${fraction.padEnd(6, '0')}`;
}

/**
 * A statement of a search page's positions: ids and createdAt after `after`, with the bounds in its
 * SETTINGS. Without `tieAt`, the newest `count` by createdAt alone, which ClickHouse reads in the sort
 * key's reverse order and stops early; ordering by the id's text as well (the API's tie-break) made it read
 * and sort every matching row of the organization (10× slower at 2M events). With `tieAt`, every position
 * at exactly that instant.
 */
export function projectedKeysQuery(
  organizationId: string,
  node: SearchNode,
  users: ResolvedUsers,
  count: number,
  after: Cursor | undefined,
  bounds: SearchBounds,
  tieAt?: string,
): { query: string; params: Record<string, unknown> } {
  const condition = compileClickHouse(node, users);
  const params: Record<string, unknown> = { ...condition.params, org: organizationId, count };
  let keyset = '';
  if (after) {
    params.afterAt = instantOf(after);
    params.afterId = after.id;
    keyset = `AND (createdAt < {afterAt:DateTime64(6, 'UTC')} OR (createdAt = {afterAt:DateTime64(6, 'UTC')} AND toString(id) < {afterId:String}))`;
  }
  let order = 'ORDER BY createdAt DESC LIMIT {count:UInt32}';
  if (tieAt !== undefined) {
    params.tieAt = tieAt;
    keyset += ` AND createdAt = {tieAt:DateTime64(3, 'UTC')}`;
    order = '';
  }
  // A search with only time, action, name, response-time or text terms reads the table: the projections hold
  // every column such a page needs too, and where one of them covers the organization's range in fewer marks
  // (the table's granules of wide rows are cut short by bytes: 280 marks against user_keys' 274 at 10M events)
  // the optimizer took it, then could not read in createdAt order nor stop at the LIMIT, so it read and sorted
  // all of the organization's keys (2.2M rows) where the table reads a few granules from the newest.
  const projections = searchesProjectionKeys(node) ? '' : ', optimize_use_projections = 0';
  // Settings in the statement itself: chDB would keep them for every later query of the process.
  return {
    // The aliases must not be `id` or `createdAt`: they would shadow the columns in WHERE.
    query: `SELECT toString(id) AS i, toString(createdAt) AS c FROM audit_events
            WHERE organizationId = {org:String} AND ${condition.sql} ${keyset}
            ${order} SETTINGS ${searchBoundsSettings(bounds)}${projections}`,
    params,
  };
}

/**
 * Whether a search names a column one of audit_events' projections is sorted by after the organization
 * (`user_keys`: userId; `ip_keys`: ipV4, migrations 006 and 007). Only such a search can read fewer
 * granules from a projection; the others are served by the table's own (organizationId, createdAt) order.
 */
export function searchesProjectionKeys(node: SearchNode): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.terms.some(searchesProjectionKeys);
    case 'not':
      return searchesProjectionKeys(node.term);
    case 'user':
    case 'userId':
    case 'ip':
      return true;
    case 'action':
    case 'name':
    case 'created':
    case 'rt':
    case 'text':
      return false;
  }
}

const instantText = (row: ProjectedKeyRow): string => row.c.padEnd(23, '0');

/** Newest first, as the API orders events: createdAt, then the id's text (a UUID's byte order in Postgres). */
function newestFirst(a: ProjectedKeyRow, b: ProjectedKeyRow): number {
  const [x, y] = [instantText(a), instantText(b)];
  if (x !== y) return x > y ? -1 : 1;
  return a.i === b.i ? 0 : a.i > b.i ? -1 : 1;
}

/**
 * The newest `count` positions ClickHouse holds after `after`, in the API's order (createdAt, then id).
 * One statement orders by createdAt alone and asks for one position more than needed: when that extra one
 * is older than the last needed, the positions it returned are exactly those at or after the last one's
 * instant, and sorting them here by (createdAt, id) is exact. When it shares that instant (events of the
 * same millisecond across the page's end, rare), a second statement reads every position of that instant
 * and they are sorted together.
 */
export async function readProjectedKeys(
  run: ProjectedKeysRunner,
  organizationId: string,
  node: SearchNode,
  users: ResolvedUsers,
  count: number,
  after: Cursor | undefined,
  bounds: SearchBounds,
): Promise<Cursor[]> {
  const first = projectedKeysQuery(organizationId, node, users, count + 1, after, bounds);
  let rows = await run(first.query, first.params);
  if (rows.length > count && instantText(rows[count]) === instantText(rows[count - 1])) {
    const tieAt = rows[count - 1].c;
    const ties = projectedKeysQuery(organizationId, node, users, count, after, bounds, tieAt);
    rows = [...rows.filter((r) => instantText(r) !== instantText(rows[count - 1])), ...(await run(ties.query, ties.params))];
  }
  return rows
    .sort(newestFirst)
    .slice(0, count)
    .map((r) => ({ id: r.i, createdAt: `${instantText(r)}000+00` }));
}
