import fc from 'fast-check';
import { storableText, storedTextProblem, unstorableTextAt } from './text';

// Strings of UTF-16 code units, NUL and lone surrogates included, which fc.string() alone rarely draws.
const anyText = fc.array(fc.oneof(fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', 'a'), fc.string({ maxLength: 3 })), { maxLength: 12 }).map((parts) => parts.join(''));

describe('the stored-text rule, found and replaced', () => {
  it('finds a character exactly when storedTextProblem refuses the text, and the text before it passes (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const at = unstorableTextAt(text);
        expect(at === -1).toBe(storedTextProblem(text) === undefined);
        if (at !== -1) {
          expect(storedTextProblem(text.slice(0, at))).toBeUndefined();
          expect(storedTextProblem(text.slice(0, at + 1))).toBeDefined();
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('makes any text storable, leaving storable text and its length unchanged (property)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const stored = storableText(text);
        expect(storedTextProblem(stored)).toBeUndefined();
        expect(stored.length).toBe(text.length);
        if (storedTextProblem(text) === undefined) expect(stored).toBe(text);
      }),
      { numRuns: 2_000 },
    );
  });
});
