import canonicalize from 'canonicalize';

/**
 * RFC 8785 (JCS) text of the two fixed-shape objects every leaf is made of (the leaf and the commitment's
 * `{content, salt, v}`), written field by field in their sorted key order instead of sorting keys per
 * call: an offline verifier canonicalises two of them per event, and `canonicalize` sorting the same
 * keys a million times was most of its time. Nested values of open shape (`user`, `metadata`) still go
 * through `canonicalize`. `canonical.property.spec.ts` proves the output byte-identical to
 * `canonicalize` of the same object.
 */

/** Why a value has no canonical form (NaN, Infinity): the message names the field. */
export class CanonicalError extends Error {
  override readonly name = 'CanonicalError';
}

/** JCS of one member's value: primitives as ES `JSON.stringify` writes them (RFC 8785 §3.2.2), the rest by `canonicalize`. */
function value(field: string, v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalError(`${field} is ${String(v)}, which JSON cannot hold`);
      return JSON.stringify(v);
    default: {
      if (v === null) return 'null';
      let text: string | undefined;
      try {
        text = canonicalize(v);
      } catch (error) {
        throw new CanonicalError(`${field}: ${(error as Error).message}`);
      }
      if (text === undefined) throw new CanonicalError(`${field} has no JSON form`);
      return text;
    }
  }
}

/** A fixed key list in JCS order (UTF-16 code units, as `Array.prototype.sort` compares), each with its `"key":` prefix. */
export function sortedMembers<K extends string>(keys: readonly K[]): readonly (readonly [K, string])[] {
  return [...keys].sort().map((k) => [k, `${JSON.stringify(k)}:`] as const);
}

/** JCS of an object with exactly `members` (from {@link sortedMembers}); every one must be defined. */
export function canonicalObject<K extends string>(members: readonly (readonly [K, string])[], object: Readonly<Record<K, unknown>>): string {
  let text = '{';
  for (let i = 0; i < members.length; i++) {
    const [key, prefix] = members[i];
    const v = object[key];
    if (v === undefined) throw new CanonicalError(`${key} is missing`);
    text += (i === 0 ? '' : ',') + prefix + value(key, v);
  }
  return `${text}}`;
}
