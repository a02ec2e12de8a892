import type { EventSummary, Page } from '@audit/contracts';
import { decodeCursor, encodeCursor, EVENT_FILTER_PARAMS, readEventFilter, type Cursor, type EventFilter } from '@audit/event-filter';
import { QueryReader } from '@audit/platform';
import type { EventsPage } from './events-read.repository';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** One page of `GET /v1/events` as its query parameters ask for it. */
export interface PageRequest {
  filter: EventFilter;
  limit: number;
  /** The keyset position to continue after (the `cursor` parameter), absent for the first page. */
  after?: Cursor;
}

/** Reads the page's parameters; every problem (unknown names included) is thrown at once as a 400 naming it. */
export function readPageRequest(query: Record<string, unknown>): PageRequest {
  const q = new QueryReader(query, [...EVENT_FILTER_PARAMS, 'limit', 'cursor']);
  const filter = readEventFilter(q);
  const limit = q.limit(DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const cursorText = q.text('cursor', 200);
  let after: Cursor | undefined;
  if (cursorText !== undefined) {
    after = decodeCursor(cursorText) ?? undefined;
    if (!after) q.problem('cursor', 'is not a cursor this API returned (pass nextCursor unchanged)');
  }
  q.done();
  return { filter, limit, after };
}

/** The answer for a page: `nextCursor` only when a row follows its last item. */
export function pageBody(page: EventsPage): Page<EventSummary> {
  return page.next ? { items: page.items, nextCursor: encodeCursor(page.next) } : { items: page.items };
}
