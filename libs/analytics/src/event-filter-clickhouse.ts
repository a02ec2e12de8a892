import { AUDIT_READS_PAGE, likePattern, type EventFilter } from '@audit/query';

/** The filters an analytics request narrows by, beyond its window (the list's filters but `from`/`to`). */
export type EventNarrowing = Omit<EventFilter, 'from' | 'to'>;

/** True when the rollups (counted per action type only) cannot answer: some filter other than action type is set. */
export function needsEvents(filter: EventNarrowing): boolean {
  return (['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q', 'hideAuditReads'] as const).some((f) => filter[f] !== undefined);
}

/**
 * The condition on `audit_events` of the list's filters, as ClickHouse query parameters (`{f_…}`): the
 * same meaning as the Postgres condition of GET /v1/events (eventFilterSql), so the chart and the count
 * of a view follow the list. Values are bound; nothing from the request is spliced into the SQL text.
 */
export function eventNarrowingClickHouse(filter: EventNarrowing, params: Record<string, unknown>): string {
  const conditions: string[] = [];
  if (filter.actionTypes.length > 0) {
    params.f_types = filter.actionTypes;
    conditions.push('actionType IN {f_types:Array(String)}');
  }
  for (const field of ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    params[`f_${field}`] = value;
    conditions.push(`${field} = {f_${field}:String}`);
  }
  if (filter.hideAuditReads) {
    params.f_readsPage = AUDIT_READS_PAGE;
    // As in Postgres (IS DISTINCT FROM): a page view without a page is kept.
    conditions.push(`(actionType != 'PAGE_VIEW' OR pageName IS NULL OR pageName != {f_readsPage:String})`);
  }
  if (filter.q !== undefined) {
    params.f_q = likePattern(filter.q);
    conditions.push(
      `(pageName ILIKE {f_q:String} OR queryName ILIKE {f_q:String} OR resourceName ILIKE {f_q:String} OR JSONExtractString(metadata, 'query') ILIKE {f_q:String})`,
    );
  }
  return conditions.length > 0 ? `AND ${conditions.join(' AND ')}` : '';
}
