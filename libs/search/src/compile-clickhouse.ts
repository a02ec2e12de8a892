import type { Interval, IpRange, SearchNode, SearchTerm } from './ast';
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
      case 'ip': {
        // Guarded so the function never sees NULL or a spelling it refuses (a zone id: Postgres' inet refuses it too).
        // Each range's cheap text test first: isIPAddressInRange parses every row's address (100–290 ms over
        // 2M events), a prefix test only compares bytes, and ClickHouse evaluates the range only where it held.
        const ranges = n.ranges
          .map((r) => `(${ipTextPrefilter(r, param)} AND isIPAddressInRange(assumeNotNull(ipAddress), ${param(r.cidr, 'String')}))`)
          .join(' OR ');
        return `(ipAddress IS NOT NULL AND position(assumeNotNull(ipAddress), '%') = 0 AND (${ranges}))`;
      }
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
 * A test on an address's text that every address of `range` passes as the search means it (see evaluate):
 * an IPv4 range holds only dotted quads without leading zeros, one spelling per address, so their text
 * starts with the octets the prefix fixes (`10.1.2.` for a /24); an IPv6 range holds only spellings with a
 * colon (they vary: case, `::`, an embedded IPv4), so that is all the text can tell. Never a test of its
 * own: the range's exact test follows it.
 */
function ipTextPrefilter(range: IpRange, param: (value: unknown, type: string) => string): string {
  const address = 'assumeNotNull(ipAddress)';
  if (range.version === 6) return `position(${address}, ':') > 0`;
  const fixed = Math.floor(Number(range.cidr.slice(range.cidr.indexOf('/') + 1)) / 8);
  if (fixed === 0) return `position(${address}, ':') = 0`;
  const octets = [24n, 16n, 8n, 0n].slice(0, fixed).map((shift) => String((range.first >> shift) & 0xffn));
  // A /32 fixes the whole address: equal text. Otherwise the fixed octets and their dot.
  return fixed === 4 ? `${address} = ${param(octets.join('.'), 'String')}` : `startsWith(${address}, ${param(`${octets.join('.')}.`, 'String')})`;
}
