import fc from 'fast-check';
import { bodyOf } from './sender';

/** Any text, lone surrogates included (UTF-8 writes each as U+FFFD, in the size as in the bytes). */
const text = fc.string({ unit: 'binary', maxLength: 40 });

describe('bodyOf: a request body written part by part', () => {
  it('is the UTF-8 of the joined string, for any parts, separator and ends', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), text, text, text, (parts, open, separator, close) => {
        expect(bodyOf(parts, open, separator, close).equals(Buffer.from(open + parts.join(separator) + close, 'utf8'))).toBe(true);
      }),
    );
  });

  it('writes the webhook envelope around records with multi-byte characters', () => {
    const records = ['{"a":"é"}', '{"b":"😀"}', '{"c":"\u0000"}'];
    expect(bodyOf(records, '{"events":[', ',', ']}').toString('utf8')).toBe('{"events":[{"a":"é"},{"b":"😀"},{"c":"\u0000"}]}');
    expect(bodyOf([]).length).toBe(0);
  });
});
