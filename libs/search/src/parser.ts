import { unstorableTextAt } from '@audit/contracts';
import { allOf, type NameField, type SearchNode, type SearchTerm, type Span } from './ast';
import { SearchSyntaxError } from './errors';
import { actionTypesOf, BadValue, createdInterval, ipRangeOf, rtInterval } from './values';

/** Longest query text accepted, in characters. */
export const MAX_SEARCH_LENGTH = 1024;
/** Most terms (qualifiers and words) in one query: each is a condition every store evaluates. */
export const MAX_SEARCH_TERMS = 32;
/** Most values in one comma list. */
export const MAX_LIST_VALUES = 100;
/** Deepest nesting of parentheses. */
export const MAX_DEPTH = 8;

/** The qualifiers, as typed before the colon. */
export const QUALIFIERS = ['action', 'user', 'ip', 'page', 'query', 'resource', 'created', 'rt'] as const;
export type Qualifier = (typeof QUALIFIERS)[number];

const NAME_FIELDS: Record<'page' | 'query' | 'resource', NameField> = { page: 'pageName', query: 'queryName', resource: 'resourceName' };

type Token =
  | { type: 'open'; negated: boolean; span: Span }
  | { type: 'close'; span: Span }
  | { type: 'or'; span: Span }
  | { type: 'and'; span: Span }
  /** A qualifier with its value(s), or free text (`qualifier` absent). */
  | { type: 'term'; negated: boolean; qualifier?: string; values: string[]; quoted: boolean; span: Span; valueAt: number };

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t';
const ENDS_WORD = (c: string | undefined): boolean => c === undefined || isSpace(c) || c === '(' || c === ')' || c === '"';

class Scanner {
  private i = 0;
  constructor(private readonly text: string) {}

  private fail(at: number, expected: string, end = at + 1): never {
    throw new SearchSyntaxError(at, this.text.slice(at, Math.min(end, at + 64)), expected);
  }

  /** A quoted string starting at the current `"`: `\"` and `\\` escape; returns its content. */
  private quoted(): string {
    const start = this.i;
    let out = '';
    for (this.i++; this.i < this.text.length; this.i++) {
      const c = this.text[this.i];
      if (c === '\\' && (this.text[this.i + 1] === '"' || this.text[this.i + 1] === '\\')) out += this.text[++this.i];
      else if (c === '"') {
        this.i++;
        return out;
      } else out += c;
    }
    return this.fail(start, 'expected a closing " for this quote', this.text.length);
  }

  private word(): string {
    const start = this.i;
    while (!ENDS_WORD(this.text[this.i])) this.i++;
    return this.text.slice(start, this.i);
  }

  tokens(): Token[] {
    const out: Token[] = [];
    const { text } = this;
    for (let c = 0; c < text.length; c++) {
      const code = text.charCodeAt(c);
      if (code < 0x20 && text[c] !== '\t') this.fail(c, 'expected printable characters (no control characters)');
    }
    while (this.i < text.length) {
      if (isSpace(text[this.i])) {
        this.i++;
        continue;
      }
      const start = this.i;
      let negated = false;
      if (text[this.i] === '-' && !isSpace(text[this.i + 1]) && text[this.i + 1] !== undefined && text[this.i + 1] !== ')') {
        negated = true;
        this.i++;
      }
      const c = text[this.i];
      if (c === '(') {
        this.i++;
        out.push({ type: 'open', negated, span: { start, end: this.i } });
      } else if (c === ')') {
        if (negated) this.fail(start, 'expected a term after -');
        this.i++;
        out.push({ type: 'close', span: { start, end: this.i } });
      } else if (c === '"') {
        const value = this.quoted();
        out.push({ type: 'term', negated, values: [value], quoted: true, span: { start, end: this.i }, valueAt: start + (negated ? 1 : 0) });
      } else {
        const wordStart = this.i;
        const word = this.word();
        if (word === '-') this.fail(start, 'expected a term after -');
        const colon = word.indexOf(':');
        if (!negated && (word === 'OR' || word === 'AND')) {
          out.push({ type: word === 'OR' ? 'or' : 'and', span: { start, end: this.i } });
        } else if (colon > 0 && /^[A-Za-z]+$/.test(word.slice(0, colon))) {
          const qualifier = word.slice(0, colon).toLowerCase();
          if (!(QUALIFIERS as readonly string[]).includes(qualifier)) {
            this.fail(start, `unknown qualifier ${word.slice(0, colon)}: (expected one of ${QUALIFIERS.map((q) => `${q}:`).join(' ')}); put text with a colon in quotes`, this.i);
          }
          const valueAt = wordStart + colon + 1;
          if (colon === word.length - 1 && text[this.i] === '"') {
            const value = this.quoted();
            out.push({ type: 'term', negated, qualifier, values: [value], quoted: true, span: { start, end: this.i }, valueAt });
          } else {
            const raw = word.slice(colon + 1);
            if (raw === '') this.fail(start, `expected a value after ${qualifier}:`, this.i);
            out.push({ type: 'term', negated, qualifier, values: raw.split(','), quoted: false, span: { start, end: this.i }, valueAt });
          }
        } else {
          out.push({ type: 'term', negated, values: [word], quoted: false, span: { start, end: this.i }, valueAt: wordStart });
        }
      }
    }
    return out;
  }
}

/**
 * Parses a search in the language of the README's table (GitHub audit log style): qualifiers, free text
 * and quoted phrases, `-` for NOT, `OR` between terms (binding tighter than the implicit AND between
 * juxtaposed terms, as in Gmail: `a b OR c` is `a AND (b OR c)`), parentheses to group.
 *
 * `now` fixes relative times (`created:>-24h`) so the same text always means the same set of events
 * for the one who asked (a saved search re-parses with its own `now`). Throws {@link SearchSyntaxError}.
 */
export function parseSearch(text: string, now: Date): SearchNode {
  if (text.length > MAX_SEARCH_LENGTH) throw new SearchSyntaxError(MAX_SEARCH_LENGTH, '', `expected at most ${MAX_SEARCH_LENGTH} characters`);
  // No event holds such text, and a search kept with an export, a saved search or an alert must be stored as
  // typed: a NUL failed the export's record with a 500, a lone surrogate came back from Postgres as U+FFFD.
  const unstorable = unstorableTextAt(text);
  if (unstorable !== -1) throw new SearchSyntaxError(unstorable, '', 'expected text without NUL characters or lone UTF-16 surrogates, which no event holds');
  const tokens = new Scanner(text).tokens();
  const terms = tokens.filter((t) => t.type === 'term').length;
  if (terms > MAX_SEARCH_TERMS) throw new SearchSyntaxError(0, '', `expected at most ${MAX_SEARCH_TERMS} terms (found ${terms}); narrow the search with fewer, more precise terms`);
  return new Parser(text, tokens, now.getTime()).parse();
}

class Parser {
  private at = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
    private readonly now: number,
  ) {}

  private fail(span: Span | undefined, expected: string): never {
    if (!span) throw new SearchSyntaxError(this.text.length, '', expected);
    throw new SearchSyntaxError(span.start, this.text.slice(span.start, Math.min(span.end, span.start + 64)), expected);
  }

  parse(): SearchNode {
    const node = this.sequence(0);
    const extra = this.tokens[this.at];
    if (extra) this.fail(extra.span, 'unexpected ) without a matching (');
    return node;
  }

  /** Terms side by side (AND), up to the end or a `)`. */
  private sequence(depth: number): SearchNode {
    const parts: SearchNode[] = [];
    for (;;) {
      const token = this.tokens[this.at];
      if (!token || token.type === 'close') break;
      if (token.type === 'and') {
        if (parts.length === 0) this.fail(token.span, 'expected a term before AND');
        this.at++;
        const next = this.tokens[this.at];
        if (!next || next.type === 'close' || next.type === 'or' || next.type === 'and') this.fail(next?.span, 'expected a term after AND');
        continue;
      }
      parts.push(this.alternatives(depth));
    }
    return allOf(parts);
  }

  /** `a OR b OR …`. */
  private alternatives(depth: number): SearchNode {
    const first = this.tokens[this.at];
    if (first?.type === 'or') this.fail(first.span, 'expected a term before OR');
    const options = [this.unary(depth)];
    while (this.tokens[this.at]?.type === 'or') {
      const or = this.tokens[this.at++];
      const next = this.tokens[this.at];
      if (!next || next.type === 'close' || next.type === 'or' || next.type === 'and') this.fail(next?.span ?? { start: or.span.end, end: or.span.end }, 'expected a term after OR');
      options.push(this.unary(depth));
    }
    return options.length === 1 ? options[0] : { kind: 'or', terms: options };
  }

  private unary(depth: number): SearchNode {
    const token = this.tokens[this.at++];
    if (token.type === 'open') {
      if (depth + 1 > MAX_DEPTH) this.fail(token.span, `expected at most ${MAX_DEPTH} levels of parentheses`);
      const inner = this.sequence(depth + 1);
      const close = this.tokens[this.at];
      if (close?.type !== 'close') this.fail(token.span, 'expected a ) to close this (');
      this.at++;
      if (inner.kind === 'and' && inner.terms.length === 0) this.fail({ start: token.span.start, end: close.span.end }, 'expected a term inside ( )');
      return token.negated ? { kind: 'not', term: inner } : inner;
    }
    if (token.type !== 'term') return this.fail(token.span, 'expected a term');
    const term = this.term(token);
    return token.negated ? { kind: 'not', term } : term;
  }

  private term(token: Extract<Token, { type: 'term' }>): SearchTerm {
    const span = token.span;
    const { qualifier, values } = token;
    if (qualifier === undefined) {
      const text = values[0];
      if (text === '') this.fail(span, 'expected text inside the quotes');
      return { kind: 'text', text, span };
    }
    if (values.length > MAX_LIST_VALUES) this.fail(span, `expected at most ${MAX_LIST_VALUES} values in one list`);
    // Each value's own position, so an error points at the value at fault, not at the whole list.
    let offset = token.valueAt;
    const located = values.map((value) => {
      const at = offset;
      offset += value.length + 1;
      return { value, span: { start: at, end: at + Math.max(value.length, 1) } };
    });
    const each = <T>(read: (value: string) => T): T[] =>
      located.map(({ value, span: at }) => {
        if (value === '') this.fail(at, `expected a value in the ${qualifier}: list (no empty items)`);
        try {
          return read(value);
        } catch (error) {
          if (error instanceof BadValue) this.fail(at, `${qualifier}: ${error.message}`);
          throw error;
        }
      });
    const single = (): string => {
      if (values.length > 1) this.fail(span, `expected one ${qualifier}: value or range (a list is not allowed here)`);
      return values[0];
    };
    switch (qualifier as Qualifier) {
      case 'action':
        return { kind: 'action', actionTypes: [...new Set(each(actionTypesOf).flat())], span };
      case 'user':
        return { kind: 'user', values: each((v) => v), span };
      case 'ip':
        return { kind: 'ip', ranges: each(ipRangeOf), span };
      case 'page':
      case 'query':
      case 'resource':
        return { kind: 'name', field: NAME_FIELDS[qualifier as 'page' | 'query' | 'resource'], values: each((v) => v), span };
      case 'created':
        single();
        return { kind: 'created', interval: each((v) => createdInterval(v, this.now))[0], span };
      case 'rt':
        single();
        return { kind: 'rt', interval: each(rtInterval)[0], span };
    }
    return this.fail(span, 'unknown qualifier');
  }
}
