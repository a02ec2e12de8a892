import type { ActionType } from '@audit/contracts';

/** The part of the query text a node came from: `[start, end)` in characters (0-based). */
export interface Span {
  start: number;
  end: number;
}

/**
 * The event columns compared exactly: by the qualifiers `page:`, `query:` and `resource:`, and by the
 * fixed parameters of the events API (`ipAddress` is compared as typed there, as it always was).
 */
export type NameField = 'pageName' | 'queryName' | 'resourceName' | 'ipAddress';

/**
 * An address range, `first..last` inclusive, of one family. A plain address is a range of one; the
 * bounds are the address's bits as an integer, so a compare is exact whatever spelling the text used.
 */
export interface IpRange {
  /** As the compiled SQL passes it: `a.b.c.d/n` or `x::y/n`, the network bits only. */
  cidr: string;
  version: 4 | 6;
  first: bigint;
  last: bigint;
}

/**
 * A half-open interval `[from, to)` of integers (epoch milliseconds for `created:`, milliseconds for
 * `rt:`); a side left out is unbounded. Every comparison of the language (`>`, `>=`, `<`, `<=`, `a..b`,
 * a bare value) is one of these, so each store compiles only two comparisons.
 */
export interface Interval {
  from?: number;
  to?: number;
}

/** A leaf: one qualifier or one piece of free text. */
export type SearchTerm =
  | { kind: 'action'; actionTypes: ActionType[]; span: Span }
  /** An actor by id or (case-insensitively) by the e-mail of the organization's user with that id. */
  | { kind: 'user'; values: string[]; span: Span }
  /** The actor's id exactly (the fixed `userId` parameter; no e-mail look-up). */
  | { kind: 'userId'; values: string[]; span: Span }
  | { kind: 'ip'; ranges: IpRange[]; span: Span }
  | { kind: 'name'; field: NameField; values: string[]; span: Span }
  | { kind: 'created'; interval: Interval; span: Span }
  | { kind: 'rt'; interval: Interval; span: Span }
  /**
   * Case-insensitive substring of the page, query or resource name, of the query text (`metadata.query`
   * when it is a string), or of the e-mail or name of the organization's user who acted.
   */
  | { kind: 'text'; text: string; span: Span };

/** A parsed search. `and` with no terms matches every event (the empty query). */
export type SearchNode = { kind: 'and'; terms: SearchNode[] } | { kind: 'or'; terms: SearchNode[] } | { kind: 'not'; term: SearchNode } | SearchTerm;

export const MATCH_ALL: SearchNode = Object.freeze({ kind: 'and', terms: [] }) as SearchNode;

/** `a AND b`, flattening nested ANDs and dropping match-all parts. */
export function allOf(nodes: readonly SearchNode[]): SearchNode {
  const terms = nodes.flatMap((n) => (n.kind === 'and' ? n.terms : [n]));
  return terms.length === 1 ? terms[0] : { kind: 'and', terms };
}

/** Every leaf of the tree, in query order. */
export function leaves(node: SearchNode): SearchTerm[] {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.terms.flatMap(leaves);
    case 'not':
      return leaves(node.term);
    default:
      return [node];
  }
}
