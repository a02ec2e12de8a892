import fc from 'fast-check';
import { CollectedLeaves } from './collected-leaves';
import { HASH_SIZE, leafHashLatin1 } from './hash';

/** A leaf's hash stands for its index, so a hash that travelled with another index shows. */
const hashOf = (index: number): string => leafHashLatin1(Buffer.from(String(index)));

function collect(indices: readonly number[]): CollectedLeaves {
  const leaves = new CollectedLeaves();
  for (const index of indices) {
    const id = Buffer.from(`event-${index}`);
    leaves.add(index, hashOf(index), id, 0, id.length, 'verified');
  }
  return leaves;
}

/** Indices as an export names them: a span of the tree (dense, or spread thin over a large one), in any order. */
const indicesArb = fc.oneof(
  fc.uniqueArray(fc.nat({ max: 300 }), { maxLength: 200 }),
  fc.uniqueArray(fc.nat({ max: 2 ** 40 }), { maxLength: 60 }),
  fc.integer({ min: 0, max: 150 }).chain((n) => fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i + 1000), { minLength: n, maxLength: n })),
);

describe('CollectedLeaves.sorted', () => {
  it('gives the leaves in increasing index order, each with its own hash, whatever order and spread they came in', () => {
    fc.assert(
      fc.property(indicesArb, fc.boolean(), (indices, reversed) => {
        const order = reversed ? [...indices].sort((a, b) => b - a) : indices;
        const sorted = collect(order).sorted();
        expect(sorted).toBeDefined();
        const expected = [...indices].sort((a, b) => a - b);
        expect(Array.from(sorted?.indices ?? [])).toEqual(expected);
        expect(sorted?.hashes.length).toBe(expected.length * HASH_SIZE);
        expected.forEach((index, k) => expect(sorted?.hashes.toString('latin1', k * HASH_SIZE, (k + 1) * HASH_SIZE)).toBe(hashOf(index)));
      }),
    );
  });

  it('is undefined when two leaves name the same index, wherever they stand', () => {
    fc.assert(
      fc.property(indicesArb.filter((a) => a.length > 0), fc.nat(), fc.nat(), (indices, from, to) => {
        const repeated = [...indices];
        repeated.splice(to % (repeated.length + 1), 0, indices[from % indices.length]);
        expect(collect(repeated).sorted()).toBeUndefined();
      }),
    );
  });
});
