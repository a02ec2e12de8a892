import type { Interval, SearchNode } from './ast';
import { containsPattern } from './users';

/**
 * Compiles a search into a condition over `audit_trail_events` (as `alias`) for Postgres: the plain
 * evaluation the ClickHouse path is checked against, the read of the seconds the projector has not
 * written yet, and exports. Values go through `param`, which returns their placeholder (`$n`); they are
 * strings, arrays of strings, finite numbers and Dates only (an export inlines them as literals).
 *
 * `organization` is what the users of the search's look-ups belong to: the event's own organization by
 * default, or the placeholder of the one organization the query reads (much faster, see usersWhere).
 *
 * Every leaf over a nullable column is `coalesce(…, false)`: a missing value (no user, no response time)
 * fails a term, so its negation holds, as in ClickHouse and the in-memory evaluator.
 */
export function compilePostgres(node: SearchNode, param: (value: unknown) => string, alias = 'a', organization = `${alias}."organizationId"`): string {
  const col = (name: string): string => `${alias}."${name}"`;
  const leaf = (sql: string): string => `coalesce(${sql}, false)`;
  const interval = (column: string, range: Interval, value: (n: number) => unknown): string =>
    [
      ...(range.from !== undefined ? [`${column} >= ${param(value(range.from))}`] : []),
      ...(range.to !== undefined ? [`${column} < ${param(value(range.to))}`] : []),
    ].join(' AND ');
  // The organization's user with the event's actor id (user ids are the emitters' and may repeat across
  // tenants). Given the organization as a parameter the subquery is uncorrelated: Postgres runs it once and
  // hashes its ids, instead of once per event.
  const usersWhere = (condition: string): string =>
    `${col('userId')} IN (SELECT su.id FROM users su WHERE su."organizationId" = ${organization} AND ${condition})`;
  const walk = (n: SearchNode): string => {
    switch (n.kind) {
      case 'and':
        return n.terms.length === 0 ? 'true' : `(${n.terms.map(walk).join(' AND ')})`;
      case 'or':
        return `(${n.terms.map(walk).join(' OR ')})`;
      case 'not':
        return `NOT ${walk(n.term)}`;
      // "actionType" and "createdAt" are NOT NULL: left bare, so Postgres can use their indexes and prune months.
      case 'action':
        return `${col('actionType')} = ANY(${param(n.actionTypes)}::text[])`;
      case 'user': {
        const emails = [...new Set(n.values.map((v) => v.toLowerCase()))];
        return leaf(`(${col('userId')} = ANY(${param(n.values)}::text[]) OR ${usersWhere(`lower(su.email) = ANY(${param(emails)}::text[])`)})`);
      }
      case 'userId':
        return leaf(`${col('userId')} = ANY(${param(n.values)}::text[])`);
      case 'name':
        return leaf(`${col(n.field)} = ANY(${param(n.values)}::text[])`);
      case 'ip':
        return leaf(
          `(position('%' in ${col('ipAddress')}) = 0 AND (${n.ranges.map((r) => `${col('ipAddress')}::inet <<= ${param(r.cidr)}::inet`).join(' OR ')}))`,
        );
      case 'created':
        return `(${interval(col('createdAt'), n.interval, (ms) => new Date(ms))})`;
      case 'rt':
        return leaf(`(${interval(col('responseTimeMs'), n.interval, (v) => v)})`);
      case 'text': {
        const p = param(containsPattern(n.text));
        return leaf(
          `(${col('pageName')} ILIKE ${p} OR ${col('queryName')} ILIKE ${p} OR ${col('resourceName')} ILIKE ${p}` +
            ` OR (jsonb_typeof(${alias}.metadata->'query') = 'string' AND ${alias}.metadata->>'query' ILIKE ${p})` +
            ` OR ${usersWhere(`(su.email ILIKE ${p} OR su."userName" ILIKE ${p})`)})`,
        );
      }
    }
  };
  return walk(node);
}
