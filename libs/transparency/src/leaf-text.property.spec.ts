import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { commitmentText, CONTENT_FIELDS, IDENTITY_FIELDS, isLeafTime, LEAF_VERSION, leafText, type ContentField, type LeafV1 } from './leaf';

/** Any UTF-16 text: lone surrogates, control characters, U+2028, astral characters split or whole. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '\u2028\u2029', '\ud800', '\udfff\ud800', '😀', '\u0000\u001f\u007f', '"\\/', 'é', 'e\u0301'),
);
/** Numbers JCS writes in their ES shortest form: integers, fractions, exponents, -0, the extremes. */
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(-0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2, 333333333.3333333),
);
/** Any JSON value (what JSON.parse gives) with hostile keys and strings. */
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant(null), fc.boolean(), number, hostileText, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(hostileText, tie('value'), { maxKeys: 5 }),
})).value;

describe('the exported commitment and leaf texts are byte-identical to canonicalize (RFC 8785)', () => {
  it('the commitment text: {content: {the 8 content fields}, salt, v}', () => {
    fc.assert(
      fc.property(fc.tuple(...CONTENT_FIELDS.map(() => json)), hostileText, (values, salt) => {
        const content = Object.fromEntries(CONTENT_FIELDS.map((f, i) => [f, values[i]])) as Record<ContentField, unknown>;
        expect(commitmentText(content, salt)).toBe(canonicalize({ v: LEAF_VERSION, salt, content }));
      }),
      { numRuns: 500 },
    );
  });

  it('the leaf text', () => {
    fc.assert(
      fc.property(fc.tuple(...IDENTITY_FIELDS.map(() => hostileText)), hostileText, (values, commitment) => {
        const leaf = { v: LEAF_VERSION, commitment, ...Object.fromEntries(IDENTITY_FIELDS.map((f, i) => [f, values[i]])) } as LeafV1;
        expect(leafText(leaf)).toBe(canonicalize(leaf));
      }),
      { numRuns: 500 },
    );
  });
});

describe('isLeafTime', () => {
  const roundTrips = (s: string): boolean => {
    const d = new Date(s);
    return !Number.isNaN(d.getTime()) && d.toISOString() === s;
  };

  it('agrees with new Date(s).toISOString() === s on every time, valid or rolled over, and on edits of one', () => {
    const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, '0'));
    const shaped = fc
      .tuple(digits(4, 9999), digits(2, 13), digits(2, 32), digits(2, 24), digits(2, 60), digits(2, 60), digits(3, 999))
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    const edited = fc.tuple(shaped, fc.nat(24), hostileText).map(([t, at, insert]) => t.slice(0, at) + insert + t.slice(at + 1));
    const real = fc.date({ min: new Date(-62167219200000), max: new Date(253402300799999), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(fc.oneof(shaped, edited, real, hostileText), (s) => {
        expect(isLeafTime(s)).toBe(roundTrips(s));
      }),
      { numRuns: 5000 },
    );
  });
});
