import fc from 'fast-check';
import { deadLetterBody } from './dead-letter-body';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

describe('deadLetterBody', () => {
  it('keeps every field of a refused event but its metadata, whatever the metadata holds', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue(), (fields, metadata) => {
        const kept = JSON.parse(text(deadLetterBody(bytes(JSON.stringify({ ...fields, metadata }))))) as Record<string, unknown>;
        const expected: Record<string, unknown> = { ...fields };
        delete expected['metadata'];
        expect(kept).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(Object.hasOwn(kept, 'metadata')).toBe(false);
      }),
    );
  });

  it('keeps nothing of a payload that is not a JSON object', () => {
    for (const payload of ['{"metadata":{"headers":{"authorization":"Bearer x"}', '[{"metadata":{}}]', '"Bearer x"', 'null']) {
      expect(deadLetterBody(bytes(payload))).toEqual(new Uint8Array());
    }
  });
});
