import type { Interval, IpRange, SearchNode, SearchTerm } from './ast';
import { IP_V4_COLUMN, IP_V6_COLUMN } from './ip-columns';
import { containsPattern, lookupKey, lookupOf, type ResolvedUsers } from './users';

/** A condition over `audit_events` with its parameters (`{name:Type}` placeholders; no value is ever in the text). */
export interface ClickHouseCondition {
  sql: string;
  params: Record<string, unknown>;
}

/**
 * The lower-cased text free text is matched in, stored by `audit_events` as the MATERIALIZED column
 * `searchText` (migration 005) with an n-gram bloom filter index: page, query and resource names and the
 * query text, one per line. A search text holds no line break (the parser refuses control characters),
 * so one LIKE over the column is exactly the OR of a LIKE over each part, and the index can skip granules.
 */
export const SEARCH_TEXT_COLUMN = 'searchText';

/** `2026-01-31 12:00:00.000`, as a DateTime64(3, 'UTC') parameter is written. */
const chTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/**
 * Compiles a search into a ClickHouse condition. `users` holds the ids Postgres found for each user
 * look-up of the search (see {@link userLookups}); a look-up missing from it is an error, not "nobody".
 */
export function compileClickHouse(node: SearchNode, users: ResolvedUsers): ClickHouseCondition {
  const params: Record<string, unknown> = {};
  const param = (value: unknown, type: string): string => {
    const name = `s${Object.keys(params).length}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  const idsOf = (term: SearchTerm): readonly string[] => {
    const lookup = lookupOf(term);
    const ids = lookup && users.get(lookupKey(lookup));
    if (!ids) throw new Error(`compileClickHouse: the users of ${term.kind} term at ${term.span.start} were not resolved`);
    return ids;
  };
  const interval = (column: string, range: Interval, type: string, value: (n: number) => unknown): string[] => [
    ...(range.from !== undefined ? [`${column} >= ${param(value(range.from), type)}`] : []),
    ...(range.to !== undefined ? [`${column} < ${param(value(range.to), type)}`] : []),
  ];
  const walk = (n: SearchNode): string => {
    switch (n.kind) {
      case 'and':
        return n.terms.length === 0 ? '1' : `(${n.terms.map(walk).join(' AND ')})`;
      case 'or':
        return `(${n.terms.map(walk).join(' OR ')})`;
      case 'not':
        return `NOT ${walk(n.term)}`;
      case 'action':
        return `actionType IN ${param(n.actionTypes, 'Array(String)')}`;
      case 'user':
        return `(userId IS NOT NULL AND userId IN ${param([...new Set([...n.values, ...idsOf(n)])], 'Array(String)')})`;
      case 'userId':
        return `(userId IS NOT NULL AND userId IN ${param(n.values, 'Array(String)')})`;
      case 'name':
        return `(${n.field} IS NOT NULL AND ${n.field} IN ${param(n.values, 'Array(String)')})`;
      case 'ip':
        return ipCondition(n.ranges, param);
      case 'created':
        return `(${interval('createdAt', n.interval, "DateTime64(3, 'UTC')", chTime).join(' AND ')})`;
      case 'rt':
        return `(responseTimeMs IS NOT NULL AND ${interval('responseTimeMs', n.interval, 'UInt64', (v) => v).join(' AND ')})`;
      case 'text': {
        const like = `${SEARCH_TEXT_COLUMN} LIKE ${param(containsPattern(n.text.toLowerCase()), 'String')}`;
        const ids = idsOf(n);
        // Without matching users the condition is the LIKE alone, which the n-gram index can use.
        return ids.length === 0 ? like : `(${like} OR (userId IS NOT NULL AND userId IN ${param(ids, 'Array(String)')}))`;
      }
    }
  };
  return { sql: walk(node), params };
}

/**
 * `ip:` over the typed address columns ({@link IP_V4_COLUMN}, {@link IP_V6_COLUMN}): each range of the
 * column of its family, as a compare of the column's value with the range's first and last address. The
 * column is NULL for a stored text the language does not read as an address of that family (or no
 * address), and `IS NOT NULL AND` makes such a row false rather than NULL, so that `-ip:` keeps it, as
 * `matches` does.
 */
function ipCondition(ranges: readonly IpRange[], param: (value: unknown, type: string) => string): string {
  const family = (version: 4 | 6, column: string, type: string, text: (bits: bigint) => string): string[] => {
    const compares = ranges.filter((r) => r.version === version).map((r) => `${column} BETWEEN ${param(text(r.first), type)} AND ${param(text(r.last), type)}`);
    return compares.length === 0 ? [] : [`(${column} IS NOT NULL AND (${compares.join(' OR ')}))`];
  };
  const families = [...family(4, IP_V4_COLUMN, 'IPv4', v4Text), ...family(6, IP_V6_COLUMN, 'IPv6', v6Text)];
  return families.length === 0 ? '0' : `(${families.join(' OR ')})`;
}

const v4Text = (bits: bigint): string => [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
const v6Text = (bits: bigint): string => Array.from({ length: 8 }, (_, i) => ((bits >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
