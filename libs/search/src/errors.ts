/**
 * A search the language refuses: where (`position`, 0-based, in characters), which term, and what was
 * expected there. The HTTP layer answers it as a 400 naming all three.
 */
export class SearchSyntaxError extends Error {
  constructor(
    readonly position: number,
    /** The offending term as typed (at most 64 characters), empty at the end of the text. */
    readonly term: string,
    readonly expected: string,
  ) {
    super(`at character ${position}${term ? ` (${term})` : ''}: ${expected}`);
    this.name = 'SearchSyntaxError';
  }
}
