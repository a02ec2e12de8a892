import { eventFilterNode, likePattern, type EventFilter } from '@audit/event-filter';
import { compileClickHouse, type ClickHouseCondition, type ResolvedUsers, type SearchNode } from '@audit/search';

/** The filters an analytics request narrows by, beyond its window (the list's filters and `search`, but `from`/`to`). */
export type EventNarrowing = Omit<EventFilter, 'from' | 'to'>;

/** True when the rollups (counted per action type only) cannot answer: some filter other than action type, or a search, is set. */
export function needsEvents(filter: EventNarrowing): boolean {
  return (['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q', 'hideAuditReads', 'search'] as const).some((f) => filter[f] !== undefined);
}

/**
 * The narrowing as one search tree (the fixed parameters as the terms they mean, ANDed with the search),
 * as GET /v1/events' ClickHouse path builds it, so the chart and the count of a view follow the list.
 * `q`, which the language has no term for, is left to {@link narrowingClickHouse}.
 */
export function narrowingNode(filter: EventNarrowing): SearchNode {
  return eventFilterNode({ ...filter, q: undefined });
}

/**
 * The condition on `audit_events` of the narrowing ('1' when nothing narrows), with its values
 * added to `params`: the search language's ClickHouse compilation (`{s…}` parameters) and `q` (`{f_q}`).
 * `users` holds the ids Postgres gave the search's user look-ups (SearchUsersRepository). Nothing from the
 * request is spliced into the SQL text.
 */
export function narrowingClickHouse(filter: EventNarrowing, users: ResolvedUsers, params: Record<string, unknown>): string {
  const conditions: ClickHouseCondition[] = [];
  const node = narrowingNode(filter);
  if (!(node.kind === 'and' && node.terms.length === 0)) conditions.push(compileClickHouse(node, users));
  if (filter.q !== undefined) {
    conditions.push({
      sql: `(pageName ILIKE {f_q:String} OR queryName ILIKE {f_q:String} OR resourceName ILIKE {f_q:String} OR JSONExtractString(metadata, 'query') ILIKE {f_q:String})`,
      params: { f_q: likePattern(filter.q) },
    });
  }
  for (const condition of conditions) Object.assign(params, condition.params);
  return conditions.length === 0 ? '1' : conditions.map((c) => c.sql).join(' AND ');
}
