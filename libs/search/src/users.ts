import { leaves, type SearchNode, type SearchTerm } from './ast';

/**
 * What a term asks of the organization's `users` (the system of record's snapshot of each actor): the
 * ids whose e-mail is one of `emails` (lower-cased), or whose e-mail or name contains `text`.
 * ClickHouse is given the ids Postgres answers, so a search sees a user's current e-mail and name, the
 * same as the rows it shows, never an older copy in the projection.
 */
export type UserLookup = { kind: 'email'; emails: string[] } | { kind: 'text'; text: string };

/** The ids each lookup found, by {@link lookupKey}. */
export type ResolvedUsers = ReadonlyMap<string, readonly string[]>;

export const lookupKey = (lookup: UserLookup): string => JSON.stringify(lookup);

/** The lookup a term needs, if any. */
export function lookupOf(term: SearchTerm): UserLookup | undefined {
  if (term.kind === 'user') return { kind: 'email', emails: [...new Set(term.values.map((v) => v.toLowerCase()))] };
  if (term.kind === 'text') return { kind: 'text', text: term.text };
  return undefined;
}

/** Every distinct lookup of the search, in query order. */
export function userLookups(node: SearchNode): UserLookup[] {
  const byKey = new Map<string, UserLookup>();
  for (const term of leaves(node)) {
    const lookup = lookupOf(term);
    if (lookup) byKey.set(lookupKey(lookup), lookup);
  }
  return [...byKey.values()];
}

/** Escapes LIKE's wildcards (`\`, `%`, `_`) so text is matched as typed, anywhere in the value. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
