/**
 * The one rule for every piece of text in an event (the string fields, the
 * user snapshot, metadata keys and values at any depth): it must be text every
 * store holds unchanged. Internal to the lib, but for {@link storedTextProblem}.
 */

/** Postgres text and jsonb cannot hold U+0000; accepting it would let the projection and the record disagree. */
export const NUL_REASON = 'must not contain the NUL character (U+0000), which Postgres cannot store';

/**
 * A lone UTF-16 surrogate has no UTF-8 form: jsonb refuses it, and the bus
 * and Postgres text columns would silently turn it into U+FFFD. Refusing it at
 * ingest is the only way the stored event equals the accepted one.
 */
export const LONE_SURROGATE_REASON =
  'must be well-formed Unicode: a lone UTF-16 surrogate (e.g. "\\ud800") has no UTF-8 form and cannot be stored unchanged';

// `String.prototype.isWellFormed` is in Node 20 but not in the `es2023` lib
// this workspace compiles against, hence the typed handle.
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * Why `text` cannot be stored unchanged (a NUL, a lone surrogate), or undefined when it can: for text that
 * is not an event field but must match one (an erasure's user id) or be recorded in one.
 */
export function storedTextProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_REASON;
  if (!isWellFormedText(text)) return LONE_SURROGATE_REASON;
  return undefined;
}

/** A NUL, or a UTF-16 surrogate without its pair: what {@link storedTextProblem} refuses, found where it is. */
// eslint-disable-next-line no-control-regex -- the NUL is what is looked for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Where the first character {@link storedTextProblem} refuses is in `text`, or -1: for a refusal that points at it. */
export function unstorableTextAt(text: string): number {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.exec(text)?.index ?? -1;
}

/** `text` with each character {@link storedTextProblem} refuses replaced by U+FFFD: for text recorded rather than refused. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** Whether `text` is well-formed Unicode (no unpaired UTF-16 surrogate). */
export function isWellFormedText(text: string): boolean {
  return isWellFormed.call(text);
}
