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
