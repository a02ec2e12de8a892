import fc from 'fast-check';
import { LIMITS } from './limits';
import { findMetadataProblems, metadataJsonMayHoldProblems } from './metadata-walk';

const DEPTH = LIMITS.maxMetadataDepth;
/** Any UTF-16 code unit, so lone surrogates and U+0000 turn up often. */
const rawText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 8 });
/** Metadata nested `levels` deep (itself level 1), built without recursion. */
const chainOf = (levels: number, kind: 'object' | 'array', bottom: unknown): Record<string, unknown> => {
  let inner = bottom;
  for (let level = levels; level > 1; level--) inner = kind === 'object' ? { [String(level % 3)]: inner } : [inner];
  return { a: inner };
};
const metadata = fc.oneof(
  fc.dictionary(rawText, fc.anything({ key: rawText, values: [rawText, fc.integer(), fc.boolean(), fc.constant(null)], maxDepth: 4 }), { maxKeys: 5 }),
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 }),
  fc.tuple(fc.integer({ min: DEPTH - 3, max: DEPTH + 3 }), fc.constantFrom('object' as const, 'array' as const), fc.oneof(rawText, fc.string())).map(([levels, kind, bottom]) => chainOf(levels, kind, bottom)),
);

describe('metadataJsonMayHoldProblems', () => {
  it('says "maybe" whenever the walk finds a problem in what the text parses to', () => {
    let withProblems = 0;
    fc.assert(
      fc.property(metadata, (value) => {
        const json = JSON.stringify(value);
        const problems = findMetadataProblems(JSON.parse(json) as object, DEPTH);
        if (problems.length === 0) return;
        withProblems++;
        expect(metadataJsonMayHoldProblems(json, DEPTH)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    // Bad text and too deep nesting must both have been among the generated objects.
    expect(withProblems).toBeGreaterThan(200);
  });

  it('lets clean metadata skip the walk, nested up to the limit', () => {
    const queryRun = { query: 'select * from orders where id = {{ id }}', parameters: { id: 7, tags: ['a', 'b'] }, headers: { 'user-agent': 'Mozilla/5.0' } };
    expect(metadataJsonMayHoldProblems(JSON.stringify(queryRun), DEPTH)).toBe(false);
    expect(metadataJsonMayHoldProblems(JSON.stringify(chainOf(DEPTH, 'array', 'émoji 😀')), DEPTH)).toBe(false);
    expect(metadataJsonMayHoldProblems(JSON.stringify(chainOf(DEPTH + 1, 'array', 'x')), DEPTH)).toBe(true);
  });

  it('says "maybe" for a NUL, a lone surrogate or a backslash-u anywhere in keys or values', () => {
    for (const text of ['a\u0000b', '\ud800', 'x\udc00y', '\\u0041']) {
      expect(metadataJsonMayHoldProblems(JSON.stringify({ [text]: 1 }), DEPTH)).toBe(true);
      expect(metadataJsonMayHoldProblems(JSON.stringify({ k: [text] }), DEPTH)).toBe(true);
    }
  });
});
