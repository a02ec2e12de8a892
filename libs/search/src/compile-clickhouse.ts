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
        // Guarded so no function sees NULL or a spelling with a zone id (Postgres' inet refuses it too).
        const ranges = n.ranges.map((r) => ipRangeCondition(r, param)).join(' OR ');
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

/** An octet as the language reads one: 0–255 without a leading zero. */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** A dotted quad as the language reads one (values.ts); other spellings ClickHouse might read are no IPv4 address. */
const DOTTED_QUAD = `^${OCTET}([.]${OCTET}){3}$`;
/** IPv6 text: hex digits and colons, or those and, after a colon, a dotted quad as above (ClickHouse would read `::ffff:010.0.0.1`). */
const V6_TEXT = `^([0-9A-Fa-f:]+|[0-9A-Fa-f:]*:${OCTET}([.]${OCTET}){3})$`;

/**
 * One `ip:` range over `ipAddress` (not NULL), meaning what it means in memory (evaluate.ts): the address
 * read as the language reads it, of the range's family, between its first and last. Its bounds compared as
 * ClickHouse's IPv4/IPv6 values, read with the -OrNull functions: isIPAddressInRange (used before) threw on
 * any stored address it could not read, failing the whole search. A cheap text test goes first, so the rest
 * runs only where it held (the range's fixed octets: `startsWith(ipAddress, '10.1.2.')` for 10.1.2.0/24).
 */
function ipRangeCondition(range: IpRange, param: (value: unknown, type: string) => string): string {
  const address = 'assumeNotNull(ipAddress)';
  if (range.version === 6) {
    // Any of its spellings has a colon; the rest is left to the pattern and to ClickHouse's reading.
    const [first, last] = [range.first, range.last].map((bits) => param(v6Text(bits), 'IPv6'));
    return `(position(${address}, ':') > 0 AND match(${address}, '${V6_TEXT}') AND ifNull(toIPv6OrNull(${address}) BETWEEN ${first} AND ${last}, 0))`;
  }
  const fixed = Math.floor(Number(range.cidr.slice(range.cidr.indexOf('/') + 1)) / 8);
  const octets = [24n, 16n, 8n, 0n].slice(0, fixed).map((shift) => String((range.first >> shift) & 0xffn));
  // A dotted quad has one spelling, so its text starts with the octets the prefix fixes, then a dot.
  const prefix = fixed === 0 ? `position(${address}, ':') = 0` : `startsWith(${address}, ${param(fixed === 4 ? octets.join('.') : `${octets.join('.')}.`, 'String')})`;
  const [first, last] = [range.first, range.last].map((bits) => param(v4Text(bits), 'IPv4'));
  return `(${prefix} AND match(${address}, '${DOTTED_QUAD}') AND ifNull(toIPv4OrNull(${address}) BETWEEN ${first} AND ${last}, 0))`;
}

const v4Text = (bits: bigint): string => [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
const v6Text = (bits: bigint): string => Array.from({ length: 8 }, (_, i) => ((bits >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
