import fc from 'fast-check';
import { CompactRange, inclusionProof, InMemoryHashStore, leafHash, multiInclusionProof, ProofError, rangedMultiInclusion, rangeHashes, rootOf, verifyMultiInclusion } from './index';

function tree(n: number): { store: InMemoryHashStore; hashes: Buffer[]; root: Buffer } {
  const hashes = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const store = new InMemoryHashStore();
  const { nodes, root } = CompactRange.empty().append(hashes);
  store.put(nodes);
  return { store, hashes, root };
}

/** A tree size and a non-empty sorted set of its leaf indices. */
const caseArb = fc.integer({ min: 1, max: 300 }).chain((n) =>
  fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: n }).map((a) => [...a].sort((x, y) => x - y))),
);

describe('multi-leaf inclusion proofs', () => {
  it('every set of leaves verifies against the root, with no more hashes than their separate proofs', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ([n, indices]) => {
        const { store, hashes, root } = tree(n);
        const proof = await multiInclusionProof(store, indices, n);
        expect(() => verifyMultiInclusion(n, indices.map((index) => ({ index, hash: hashes[index] })), proof, root)).not.toThrow();
        let separate = 0;
        for (const index of indices) separate += (await inclusionProof(store, index, n)).length;
        expect(proof.length).toBeLessThanOrEqual(separate);
      }),
    );
  });

  it('for one leaf holds exactly the hashes of its RFC 9162 inclusion proof', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), async (n, i) => {
        const { store } = tree(n);
        const index = i % n;
        const multi = (await multiInclusionProof(store, [index], n)).map((h) => h.toString('hex')).sort();
        const single = (await inclusionProof(store, index, n)).map((h) => h.toString('hex')).sort();
        expect(multi).toEqual(single);
      }),
    );
  });

  it('fails when any bit of the proof or of a leaf changes, a leaf index moves, or an element is added or dropped', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('proof', 'leaf', 'index', 'extra', 'drop'), async ([n, indices], at, bit, how) => {
        const { store, hashes, root } = tree(n);
        const proof = await multiInclusionProof(store, indices, n);
        const leaves = indices.map((index) => ({ index, hash: Buffer.from(hashes[index]) }));
        if (how === 'proof' || how === 'drop') {
          if (proof.length === 0) return;
          const i = at % proof.length;
          if (how === 'drop') proof.splice(i, 1);
          else proof[i] = Buffer.from(proof[i].map((b, k) => (k === at % 32 ? b ^ (1 << bit) : b)));
        } else if (how === 'leaf') {
          leaves[at % leaves.length].hash[at % 32] ^= 1 << bit;
        } else if (how === 'index') {
          // Move one leaf to an index none of the others holds (its hash stays): the proof must fail.
          const free = Array.from({ length: n }, (_, i) => i).filter((i) => !indices.includes(i));
          if (free.length === 0) return;
          const moved = { ...leaves[at % leaves.length], index: free[at % free.length] };
          leaves.splice(at % leaves.length, 1, moved);
          leaves.sort((a, b) => a.index - b.index);
          if (moved.hash.equals(hashes[moved.index])) return;
        } else {
          proof.push(root);
        }
        expect(() => verifyMultiInclusion(n, leaves, proof, root)).toThrow(ProofError);
      }),
    );
  });

  it('range hashes are the roots of their ranges; with them an altered leaf fails its range alone, an altered range hash the whole proof', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.constantFrom(1, 2, 4, 16, 64), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('none', 'leaf', 'proof', 'range', 'drop'), async ([n, indices], size, at, bit, how) => {
        const { store, hashes, root } = tree(n);
        const proof = await multiInclusionProof(store, indices, n);
        const ranges = await rangeHashes(store, indices, n, size);
        const starts = [...new Set(indices.map((i) => i - (i % size)))];
        expect(ranges).toEqual(starts.map((start) => rootOf(hashes.slice(start, Math.min(n, start + size)))));
        const leaves: { index: number; hash: Buffer }[] = indices.map((index) => ({ index, hash: Buffer.from(hashes[index]) }));
        const flip = (h: Buffer): Buffer => Buffer.from(h.map((b, k) => (k === at % 32 ? b ^ (1 << bit) : b)));
        const check = (): ReturnType<typeof rangedMultiInclusion> => rangedMultiInclusion(n, leaves, proof, { rangeLeaves: size, hashes: ranges }, root);
        if (how === 'none') return expect(check()).toEqual([]);
        if (how === 'leaf') {
          const altered = leaves[at % leaves.length];
          altered.hash = flip(altered.hash);
          const start = altered.index - (altered.index % size);
          return expect(check()).toEqual([{ start, end: Math.min(n, start + size) }]);
        }
        if (how === 'proof') {
          if (proof.length === 0) return;
          proof[at % proof.length] = flip(proof[at % proof.length]);
          // A proof hash inside a range fails that range alone; one above the ranges fails the root.
          try {
            expect(check()).toHaveLength(1);
          } catch (error) {
            expect(error).toBeInstanceOf(ProofError);
          }
          return;
        }
        if (how === 'range') ranges[at % ranges.length] = flip(ranges[at % ranges.length]);
        else ranges.splice(at % ranges.length, 1);
        expect(check).toThrow(ProofError);
      }),
    );
  });

  it('refuses range sizes that are not powers of two', async () => {
    const { store, hashes, root } = tree(8);
    await expect(rangeHashes(store, [1], 8, 3)).rejects.toThrow(ProofError);
    expect(() => rangedMultiInclusion(8, [{ index: 1, hash: hashes[1] }], [], { rangeLeaves: 0, hashes: [] }, root)).toThrow(ProofError);
  });

  it('refuses unsorted, repeated or out-of-range indices', async () => {
    const { store, hashes, root } = tree(8);
    await expect(multiInclusionProof(store, [3, 1], 8)).rejects.toThrow(ProofError);
    await expect(multiInclusionProof(store, [1, 1], 8)).rejects.toThrow(ProofError);
    await expect(multiInclusionProof(store, [8], 8)).rejects.toThrow(ProofError);
    await expect(multiInclusionProof(store, [], 8)).rejects.toThrow(ProofError);
    expect(() => verifyMultiInclusion(8, [{ index: 9, hash: hashes[0] }], [], root)).toThrow(ProofError);
  });
});
