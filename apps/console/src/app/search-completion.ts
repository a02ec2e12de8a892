import { ACTION_TYPES } from '@audit/contracts';

/**
 * The qualifiers of the query language (libs/search `QUALIFIERS`, which the spec holds this list to),
 * each with what the completion shows beside it.
 */
export const SEARCH_QUALIFIERS: ReadonlyArray<{ name: string; hint: string }> = [
  { name: 'action', hint: 'an action type, e.g. action:LOGIN' },
  { name: 'user', hint: 'a user id or e-mail' },
  { name: 'ip', hint: 'an address or CIDR range' },
  { name: 'page', hint: 'a page name' },
  { name: 'query', hint: 'a query name' },
  { name: 'resource', hint: 'a resource name' },
  { name: 'created', hint: 'a time, e.g. created:>-24h' },
  { name: 'rt', hint: 'response time in ms, e.g. rt:>500' },
];

/** The word being typed at the caret: where it starts and ends in the text, and its qualifier if it has one. */
export interface TypedWord {
  start: number;
  end: number;
  /** The qualifier before `:` (lower-case), or undefined while none is typed yet. */
  qualifier?: string;
  /** What follows the qualifier's `:` (or the whole word without one). */
  value: string;
}

/** A suggestion: the text that replaces the word, and a label for the list. */
export interface Suggestion {
  insert: string;
  label: string;
  hint?: string;
}

/** The word the caret is in (words end at spaces and parentheses; a leading `-` negation is kept outside it). */
export function wordAt(text: string, caret: number): TypedWord {
  let start = caret;
  while (start > 0 && !/[\s()]/.test(text[start - 1])) start--;
  let end = caret;
  while (end < text.length && !/[\s()]/.test(text[end])) end++;
  if (text[start] === '-') start++;
  const word = text.slice(start, end);
  const colon = word.indexOf(':');
  if (colon < 0) return { start, end, value: word };
  return { start, end, qualifier: word.slice(0, colon).toLowerCase(), value: word.slice(colon + 1) };
}

/** Quotes a value the language would otherwise split (spaces, parentheses, quotes, the commas of a list). */
export const quoteValue = (value: string): string => (/[\s()",]/.test(value) ? `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"` : value);

/**
 * What to offer for the word at the caret, users aside (they come from the server): qualifiers while
 * none is typed, action types after `action:`. At most `max`.
 */
export function localSuggestions(word: TypedWord, max = 12): Suggestion[] {
  if (word.qualifier === undefined) {
    const typed = word.value.toLowerCase();
    if (typed === '') return SEARCH_QUALIFIERS.map((q) => ({ insert: `${q.name}:`, label: `${q.name}:`, hint: q.hint })).slice(0, max);
    return SEARCH_QUALIFIERS.filter((q) => q.name.startsWith(typed) && q.name !== typed)
      .map((q) => ({ insert: `${q.name}:`, label: `${q.name}:`, hint: q.hint }))
      .slice(0, max);
  }
  if (word.qualifier === 'action') {
    // A comma list: complete its last item.
    const items = word.value.split(',');
    const last = items.pop() ?? '';
    const prefix = items.length > 0 ? `${items.join(',')},` : '';
    const typed = last.toUpperCase();
    return ACTION_TYPES.filter((t) => t.startsWith(typed) && t !== typed)
      .map((t) => ({ insert: `action:${prefix}${t}`, label: t }))
      .slice(0, max);
  }
  return [];
}

/** The suggestions for `user:` from the organization's users (GET /v1/users?q=): by e-mail where there is one, else by id. */
export function userSuggestions(users: ReadonlyArray<{ id: string; email: string | null; userName: string | null }>, max = 12): Suggestion[] {
  return users.slice(0, max).map((u) => ({ insert: `user:${quoteValue(u.email ?? u.id)}`, label: u.email ?? u.id, hint: u.userName ?? undefined }));
}

/** The text with the word replaced by the suggestion, and where the caret goes (after it, and after a space unless it ends in `:`). */
export function applySuggestion(text: string, word: TypedWord, suggestion: Suggestion): { text: string; caret: number } {
  const tail = text.slice(word.end);
  const spacer = suggestion.insert.endsWith(':') || tail.startsWith(' ') ? '' : ' ';
  const next = `${text.slice(0, word.start)}${suggestion.insert}${spacer}${tail}`;
  return { text: next, caret: word.start + suggestion.insert.length + spacer.length };
}
