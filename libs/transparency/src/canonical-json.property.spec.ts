import { ACTION_TYPES, validateEvent, type AuditEvent } from '@audit/contracts';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson, CONTENT_FIELDS, LeafError, leafBytesOf, commitmentOf, sealEvent } from './index';

const NOW = new Date('2026-03-01T12:00:00.000Z');

/** Any UTF-16 text: lone surrogates, control characters, astral characters, quotes and backslashes. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '"', '\\', '\u2028\u2029', '\ud800', '\udc00x\ud83d', '\u0000\u001f\u007f', '€', '\ufeff', '__proto__', 'constructor', '10', '-1'),
);

/** Numbers JSON holds, with the ones whose shortest form is hard: -0, tiny, huge, near integer limits. */
const hostileNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(-0, 5e-324, 1e21, 1e-7, Number('9007199254740993'), -Number.MAX_VALUE, 0.1 + 0.2, Number('333333333.33333329'), 1e23),
);

const hostileJson = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    hostileNumber,
    hostileText,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileText, tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** Canonical events as the contract's validator makes them, with hostile text and numbers in every field it lets through. */
const eventArb: fc.Arbitrary<AuditEvent> = fc
  .record({
    id: fc.uuid({ version: 7 }),
    organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.option(hostileText.filter((s) => s.length > 0), { nil: null }),
    user: fc.option(fc.record({ email: fc.emailAddress(), userName: hostileText.filter((s) => s.length > 0) }), { nil: null }),
    ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6()), { nil: null }),
    responseTimeMs: fc.option(fc.nat(), { nil: null }),
    pageName: fc.option(hostileText.filter((s) => s.length > 0), { nil: null }),
    queryName: fc.option(hostileText.filter((s) => s.length > 0), { nil: null }),
    resourceName: fc.option(hostileText.filter((s) => s.length > 0), { nil: null }),
    metadata: fc.dictionary(hostileText, hostileJson, { maxKeys: 6 }),
    createdAt: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: NOW, noInvalidDate: true }).map((d) => d.toISOString()),
  })
  .map((input) => validateEvent(input, { now: NOW }))
  .filter((result) => result.ok)
  .map((result) => (result.ok ? result.event : (undefined as never)));

/** The formats as docs/transparency.md defines them, written through the `canonicalize` package. */
function referenceCommitment(event: AuditEvent, salt: string): string {
  const content = Object.fromEntries(CONTENT_FIELDS.map((f) => [f, event[f]]));
  return createHash('sha256').update(canonicalize({ v: 1, salt, content }) as string, 'utf8').digest('base64');
}

function referenceLeaf(event: AuditEvent, commitment: string): string {
  const { id, organizationId, actionType, createdAt, receivedAt } = event;
  return canonicalize({ v: 1, id, organizationId, actionType, createdAt, receivedAt, commitment }) as string;
}

describe('canonicalJson is the canonicalize package (RFC 8785), byte for byte', () => {
  it('over hostile JSON values: unicode, lone surrogates, number edge cases, key orders', () => {
    fc.assert(
      fc.property(hostileJson, (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('over what a jsonb column gives back: the same members in another insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(hostileText, hostileJson, { maxKeys: 8 }), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(canonicalJson(reversed)).toBe(canonicalize(object));
      }),
    );
  });

  it('over values whose objects already list their keys in JCS order (written natively), and deeper than that check looks', () => {
    // Objects rebuilt with their keys inserted in code-unit order: Object.keys then lists them so, except
    // integer-like keys, which objects list first in numeric order ("10" after "9", JCS puts it before).
    const sorted = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sorted);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
    };
    const deep = fc.tuple(hostileJson, fc.array(fc.tuple(hostileText, fc.boolean()), { minLength: 1, maxLength: 40 })).map(([leaf, path]) =>
      path.reduce<unknown>((inner, [key, inArray]) => (inArray ? [inner, key] : { [key]: inner, z: { b: 1, a: 2 } }), leaf),
    );
    fc.assert(
      fc.property(fc.oneof(hostileJson.map(sorted), deep, deep.map(sorted)), (value) => {
        expect(canonicalJson(value)).toBe(canonicalize(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a toJSON result, a null-prototype object and integer-like keys in JCS order when they are met inside ordered objects', () => {
    const nullProto = Object.assign(Object.create(null) as object, { b: 1, a: { d: 1, c: 2 } });
    const withToJson = Object.assign([1, 2], { toJSON: () => ({ y: 1, x: 2 }) });
    for (const value of [{ a: nullProto }, { a: withToJson }, { a: { 9: 1, 10: 2 } }, { a: new Date(0) }, [{ b: 1, a: 2 }], { a: [1, { d: [{ f: 1, e: 2 }] }] }]) {
      expect(canonicalJson(value)).toBe(canonicalize(value));
    }
  });

  it('leaves out undefined members and writes undefined items as null, as the package does', () => {
    const value = { b: undefined, a: [undefined, 1], c: { toJSON: () => 'x' } };
    expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it('refuses what JSON cannot hold with a LeafError', () => {
    for (const bad of [NaN, Infinity, -Infinity, { a: NaN }, [1n], () => 1]) expect(() => canonicalJson(bad)).toThrow(LeafError);
  });
});

describe('the leaf and commitment writers give the canonicalize package bytes', () => {
  it('commitmentOf, leafBytesOf and sealEvent over generated events with hostile content', () => {
    fc.assert(
      fc.property(eventArb, fc.uint8Array({ minLength: 32, maxLength: 32 }), (event, saltBytes) => {
        const salt = Buffer.from(saltBytes);
        const commitment = referenceCommitment(event, salt.toString('base64'));
        expect(commitmentOf(event, salt.toString('base64'))).toBe(commitment);
        const leaf = referenceLeaf(event, commitment);
        expect(leafBytesOf(event, commitment).toString('utf8')).toBe(leaf);
        const sealed = sealEvent(event, salt);
        expect(sealed.commitment).toBe(commitment);
        expect(sealed.leaf.equals(Buffer.from(leaf, 'utf8'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('sealEvent refuses a salt that is not 32 bytes, and an event missing a content field', () => {
    const event = fc.sample(eventArb, { numRuns: 1, seed: 1 })[0];
    expect(() => sealEvent(event, randomBytes(31))).toThrow(LeafError);
    expect(() => sealEvent({ ...event, metadata: undefined } as unknown as AuditEvent, randomBytes(32))).toThrow(/metadata/u);
  });
});
