/** One page of a keyset-paginated listing: its items, and the cursor of the next page when there is one. */
export interface KeysetPage<T, C> {
  readonly items: readonly T[];
  readonly next?: C | null;
}

/**
 * Every item of a keyset-paginated listing (a repository's `page` or an API's `nextCursor`), in the order
 * served: `fetchPage(cursor, n)` reads page n, the first with no cursor. Throws when no last page came
 * within `maxPages`, so a cursor that never ends fails the spec instead of hanging it.
 */
export async function allPages<T, C>(fetchPage: (cursor: C | undefined, page: number) => Promise<KeysetPage<T, C>>, maxPages = 1000): Promise<T[]> {
  const items: T[] = [];
  let cursor: C | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await fetchPage(cursor, page);
    items.push(...result.items);
    if (result.next === undefined || result.next === null) return items;
    cursor = result.next;
  }
  throw new Error(`no last page after ${maxPages} pages`);
}
