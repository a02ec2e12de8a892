import fc from 'fast-check';
import { LineSplitter } from './line-splitter';

/** The lines (and overlong marks) a splitter hands over for `bytes` cut at `cuts`, and what it holds at the end. */
function split(bytes: Buffer, cuts: number[], maxBytes = 1 << 20): { lines: string[]; rest: string | undefined } {
  const lines: string[] = [];
  const splitter = new LineSplitter(
    maxBytes,
    (b, start, end) => lines.push(b.toString('utf8', start, end)),
    () => lines.push('<overlong>'),
  );
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  [0, ...at].forEach((from, i) => {
    const chunk = Buffer.from(bytes.subarray(from, i < at.length ? at[i] : bytes.length));
    splitter.write(chunk);
    chunk.fill(0); // a caller may reuse its chunk: nothing handed over later may depend on it
  });
  return { lines, rest: splitter.end()?.toString('utf8') };
}

describe('LineSplitter', () => {
  const line = fc.string({ unit: fc.constantFrom('a', '{', '"', 'é', '😀', '\u2028', ' ', '\r'), maxLength: 12 });

  it('hands over the same lines however the bytes are cut into chunks (multi-byte characters split too), a CR kept', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (lines, terminated, cuts) => {
        const text = lines.join('\n') + (terminated && lines.length > 0 ? '\n' : '');
        const expected = text.split('\n');
        const last = expected.pop() as string;
        expect(split(Buffer.from(text), cuts)).toEqual({ lines: expected, rest: last === '' ? undefined : last });
      }),
    );
  });

  it('drops a line longer than the limit, once, whatever the chunks, and goes on after its newline', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (cuts) => {
        expect(split(Buffer.from(`short\n${'x'.repeat(40)}\nnext\n${'y'.repeat(40)}`), cuts, 16)).toEqual({ lines: ['short', '<overlong>', 'next', '<overlong>'], rest: undefined });
      }),
    );
  });
});
