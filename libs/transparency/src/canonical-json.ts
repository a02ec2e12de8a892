import { LeafError } from './errors';

/**
 * RFC 8785 (JCS) text of a JSON value, byte for byte what the `canonicalize` package (the reference this
 * log's formats name) gives for it: keys sorted by UTF-16 code units, strings and numbers as ECMAScript's
 * `JSON.stringify` writes them, no white space; `undefined` members left out, `undefined` array items as
 * null, `toJSON` honoured. The package builds each level with `reduce` over template strings and was a
 * third of the sealer's cost per event; this is one loop per level. `canonical-json.property.spec.ts`
 * holds the two to the same output over generated events and hostile values.
 *
 * Only JSON values (what a decoded event or a jsonb column holds): NaN, ±Infinity, functions and bigints
 * are refused with a {@link LeafError}.
 */
export function canonicalJson(value: unknown): string {
  // Most values (a string, a number, metadata whose objects already list their keys in order) are written
  // by JSON.stringify exactly as JCS writes them: checked by a walk that builds nothing, then written natively.
  return alreadyCanonical(value, FAST_PATH_DEPTH) ? JSON.stringify(value) : canonicalText(value);
}

/** How deep {@link alreadyCanonical} looks before leaving a value to the member-by-member writer (which asks again of each member, so the checks stay linear). */
const FAST_PATH_DEPTH = 16;

/**
 * Whether `JSON.stringify(value)` is its JCS text: only strings, finite numbers, booleans, null, arrays and
 * plain objects (prototype Object.prototype or null), none with a `toJSON` method, whose `Object.keys` order is already
 * the UTF-16 code-unit order (integer-like keys, which objects list first in numeric order, included), no
 * member undefined, and at most `depth` levels deep.
 */
function alreadyCanonical(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      // JSON.stringify would write what a toJSON returns in its own (unsorted) way.
      if (depth === 0 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!alreadyCanonical(value[i], depth - 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      const keys = Object.keys(value);
      for (let i = 1; i < keys.length; i++) if (!(keys[i - 1] < keys[i])) return false;
      for (const key of keys) if (!alreadyCanonical((value as Record<string, unknown>)[key], depth - 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** JCS text written member by member (each member through {@link canonicalJson}). */
function canonicalText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new LeafError(`${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON: () => unknown }).toJSON());
      return Array.isArray(value) ? arrayText(value) : objectText(value as Record<string, unknown>);
    default:
      throw new LeafError(`a ${typeof value} is not a JSON value`);
  }
}

function arrayText(items: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ',';
    const item = items[i];
    text += item === undefined || typeof item === 'symbol' ? 'null' : canonicalJson(item);
  }
  return `${text}]`;
}

function objectText(object: Record<string, unknown>): string {
  // Array.prototype.sort's default order compares UTF-16 code units, which is RFC 8785's (§3.2.3).
  const keys = Object.keys(object).sort();
  let text = '{';
  for (const key of keys) {
    const member = object[key];
    if (member === undefined || typeof member === 'symbol') continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${text}}`;
}
