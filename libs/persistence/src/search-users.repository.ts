import { Injectable } from '@nestjs/common';
import { AppError } from '@audit/platform';
import { containsPattern, lookupKey, userLookups, type ResolvedUsers, type SearchNode, type UserLookup } from '@audit/search';
import { Database } from './database';

/** Most users one look-up of a search may stand for (a short free text can match half the directory). */
export const MAX_USERS_PER_LOOKUP = 1000;
/** How many of a search's user look-ups read at once (PG_POOL_SIZE defaults to 10 read connections). */
const LOOKUPS_AT_ONCE = 4;

/**
 * The users a search names, from Postgres' `users` (the system of record's snapshot of each actor), for
 * every reader that runs a search in ClickHouse (the events API, analytics): ClickHouse is handed the ids
 * Postgres answers, so each sees a user's current e-mail and name, the same as the rows the API shows.
 */
@Injectable()
export class SearchUsersRepository {
  constructor(private readonly db: Database) {}

  /**
   * The ids of the organization's users a look-up names (at most `cap` + 1, so a caller can tell "more
   * than cap"): those whose e-mail is one of the given (case-insensitively), or whose e-mail or name
   * contains the text. The same conditions as the search's Postgres compilation (compilePostgres).
   * Prepared (two texts in all): a search's ClickHouse statement waits for this read, so its parse is on
   * the page's path.
   */
  async idsFor(organizationId: string, lookup: UserLookup, cap: number): Promise<string[]> {
    const [condition, value] =
      lookup.kind === 'email' ? ['lower(email) = ANY($2::text[])', lookup.emails] : ['(email ILIKE $2 OR "userName" ILIKE $2)', containsPattern(lookup.text)];
    const rows = await this.db.read<{ id: string }>(`SELECT id FROM users WHERE "organizationId" = $1 AND ${condition} LIMIT $3`, [organizationId, value, cap + 1], {
      prepared: true,
    });
    return rows.map((r) => r.id);
  }

  /**
   * The ids of each user look-up of the search; 400 (naming `search`) past {@link MAX_USERS_PER_LOOKUP}.
   * The look-ups run side by side, a few at a time (each on its own read connection): a search of several free-text terms
   * waited for one round trip per term before its ClickHouse statement could start.
   */
  async resolve(organizationId: string, node: SearchNode): Promise<ResolvedUsers> {
    const lookups = userLookups(node);
    const found: string[][] = [];
    // At most LOOKUPS_AT_ONCE at a time: a search of 32 terms must not take every read connection of the pool.
    for (let i = 0; i < lookups.length; i += LOOKUPS_AT_ONCE) {
      found.push(...(await Promise.all(lookups.slice(i, i + LOOKUPS_AT_ONCE).map((lookup) => this.idsFor(organizationId, lookup, MAX_USERS_PER_LOOKUP)))));
    }
    return new Map(
      lookups.map((lookup, i) => {
        if (found[i].length > MAX_USERS_PER_LOOKUP) throw tooManyUsers(lookup);
        return [lookupKey(lookup), found[i]];
      }),
    );
  }
}

function tooManyUsers(lookup: UserLookup): AppError {
  const what = lookup.kind === 'text' ? `the text "${lookup.text.slice(0, 64)}" matches` : 'these user: values match';
  const reason = `${what} more than ${MAX_USERS_PER_LOOKUP} users' e-mails or names: use a longer text, or user: with an id or e-mail`;
  return new AppError('BAD_REQUEST', `search too broad: ${reason}`, [{ path: 'search', reason }]);
}
