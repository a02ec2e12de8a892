import fc from 'fast-check';
import { inStreamOrder } from './queued-record';

const deliveries = (seqs: number[]): Array<{ seq: number; i: number }> => seqs.map((seq, i) => ({ seq, i }));

describe('inStreamOrder', () => {
  it('puts any batch in stream-sequence order, keeping every delivery once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 1_000_000 }), { maxLength: 200 }), (seqs) => {
        const batch = deliveries(seqs);
        const ordered = inStreamOrder(batch);
        expect(ordered.map((d) => d.seq)).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(ordered)).toEqual(new Set(batch));
      }),
    );
  });

  it('leaves a batch that is already in order as it is, and never reorders the one it was given', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: 1_000_000 }), { maxLength: 200 }), (seqs) => {
        const sorted = deliveries([...seqs].sort((a, b) => a - b));
        expect(inStreamOrder(sorted)).toBe(sorted);
        const given = deliveries(seqs);
        const before = [...given];
        inStreamOrder(given);
        expect(given).toEqual(before);
      }),
    );
  });
});
