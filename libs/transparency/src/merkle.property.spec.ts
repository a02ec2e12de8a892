import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  CompactRange,
  consistencyProof,
  inclusionProof,
  InMemoryHashStore,
  leafHash,
  ProofError,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type NodeId,
  type SubtreeHashStore,
} from './index';

/** MTH exactly as RFC 9162 §2.1.1 defines it, recursively: the oracle the fast code is held to. */
function specRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return createHash('sha256').update(Buffer.from([0])).update(leaves[0]).digest();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(specRoot(leaves.slice(0, k)))
    .update(specRoot(leaves.slice(k)))
    .digest();
}

/** Counts the store calls and subtrees read, to hold proofs to one O(log n) read. */
class CountingStore implements SubtreeHashStore {
  calls = 0;
  reads = 0;
  constructor(private readonly inner: SubtreeHashStore) {}
  getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    this.calls++;
    this.reads += ids.length;
    return this.inner.getNodes(ids);
  }
}

/** Leaves appended in random batches, every emitted subtree stored, the range after each batch kept. */
function buildLog(leaves: readonly Buffer[], batchSizes: readonly number[]): { store: InMemoryHashStore; ranges: CompactRange[] } {
  const store = new InMemoryHashStore();
  const ranges = [CompactRange.empty()];
  let next = 0;
  for (let b = 0; next < leaves.length; b++) {
    const take = batchSizes.length === 0 ? leaves.length : batchSizes[b % batchSizes.length];
    const { range, nodes } = ranges[ranges.length - 1].append(leaves.slice(next, next + take).map(leafHash));
    store.put(nodes);
    ranges.push(range);
    next += take;
  }
  return { store, ranges };
}

const leavesArb = (min: number, max: number) => fc.array(fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)), { minLength: min, maxLength: max });
const batchesArb = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 });

const log2ceil = (n: number): number => Math.ceil(Math.log2(Math.max(n, 1)));

describe('Merkle tree properties', () => {
  it('the appender and rootOf agree with the recursive definition of MTH, however the leaves are batched', () => {
    fc.assert(
      fc.property(leavesArb(0, 140), batchesArb, (leaves, batches) => {
        const { ranges } = buildLog(leaves, batches);
        const expected = specRoot(leaves);
        expect(ranges[ranges.length - 1].root().equals(expected)).toBe(true);
        expect(rootOf(leaves.map(leafHash)).equals(expected)).toBe(true);
        for (const range of ranges) expect(range.root().equals(specRoot(leaves.slice(0, range.size)))).toBe(true);
      }),
    );
  });

  it('a range loaded back from the store (O(log n) reads, one call) continues the log identically', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(0, 100), leavesArb(0, 20), async (before, after) => {
        const { store, ranges } = buildLog(before, []);
        const counting = new CountingStore(store);
        const loaded = await CompactRange.load(counting, before.length);
        expect(counting.calls).toBeLessThanOrEqual(1);
        expect(counting.reads).toBeLessThanOrEqual(log2ceil(before.length) + 1);
        const live = ranges[ranges.length - 1].append(after.map(leafHash));
        const resumed = loaded.append(after.map(leafHash));
        expect(resumed.root.equals(live.root)).toBe(true);
        expect(resumed.nodes).toEqual(live.nodes);
      }),
    );
  });

  it('every inclusion proof from the store verifies against the root of its tree size, with one O(log n) read', async () => {
    await fc.assert(
      fc.asyncProperty(
        leavesArb(1, 200),
        batchesArb,
        fc.nat(),
        fc.nat(),
        async (leaves, batches, a, b) => {
          const { store } = buildLog(leaves, batches);
          const size = 1 + (a % leaves.length);
          const index = b % size;
          const counting = new CountingStore(store);
          const proof = await inclusionProof(counting, index, size);
          expect(counting.calls).toBe(size === 1 ? 0 : 1);
          expect(counting.reads).toBeLessThanOrEqual(2 * log2ceil(size));
          expect(proof.length).toBeLessThanOrEqual(log2ceil(size));
          expect(() => verifyInclusion(index, size, leafHash(leaves[index]), proof, specRoot(leaves.slice(0, size)))).not.toThrow();
        },
      ),
    );
  });

  it('every consistency proof between sizes m ≤ n from the store verifies', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(0, 200), batchesArb, fc.nat(), fc.nat(), async (leaves, batches, a, b) => {
        const { store } = buildLog(leaves, batches);
        const second = a % (leaves.length + 1);
        const first = b % (second + 1);
        const counting = new CountingStore(store);
        const proof = await consistencyProof(counting, first, second);
        expect(counting.calls).toBeLessThanOrEqual(1);
        expect(counting.reads).toBeLessThanOrEqual(2 * log2ceil(second) + 1);
        expect(() => verifyConsistency(first, second, specRoot(leaves.slice(0, first)), specRoot(leaves.slice(0, second)), proof)).not.toThrow();
      }),
    );
  });

  it('flipping any bit of an inclusion proof, or of the leaf, makes it fail', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(2, 150), fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (leaves, a, b, c, bit, inLeaf) => {
        const size = 2 + (a % (leaves.length - 1));
        const index = b % size;
        const { store } = buildLog(leaves, []);
        const proof = await inclusionProof(store, index, size);
        const root = specRoot(leaves.slice(0, size));
        let leaf = leafHash(leaves[index]);
        if (inLeaf) {
          leaf = Buffer.from(leaf);
          leaf[c % leaf.length] ^= 1 << bit;
        } else {
          const at = c % (proof.length * 32);
          proof[Math.floor(at / 32)] = Buffer.from(proof[Math.floor(at / 32)]);
          proof[Math.floor(at / 32)][at % 32] ^= 1 << bit;
        }
        expect(() => verifyInclusion(index, size, leaf, proof, root)).toThrow(ProofError);
      }),
    );
  });

  it('a changed leaf input fails its old proof', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(1, 100), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), async (leaves, a, extra) => {
        const index = a % leaves.length;
        const { store } = buildLog(leaves, []);
        const proof = await inclusionProof(store, index, leaves.length);
        const tampered = Buffer.concat([leaves[index], extra]);
        expect(() => verifyInclusion(index, leaves.length, leafHash(tampered), proof, specRoot(leaves))).toThrow(ProofError);
      }),
    );
  });

  it('flipping any bit of a consistency proof, or of either root, makes it fail', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(2, 150), fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('proof', 'first', 'second'), async (leaves, a, b, c, bit, where) => {
        const second = 2 + (a % (leaves.length - 1));
        const first = 1 + (b % (second - 1)); // 0 < first < second: the proof is not empty
        const { store } = buildLog(leaves, []);
        const proof = await consistencyProof(store, first, second);
        const roots = [specRoot(leaves.slice(0, first)), specRoot(leaves.slice(0, second))];
        const flipIn = (buf: Buffer, at: number): Buffer => {
          const copy = Buffer.from(buf);
          copy[at % 32] ^= 1 << bit;
          return copy;
        };
        if (where === 'proof') {
          const at = c % (proof.length * 32);
          proof[Math.floor(at / 32)] = flipIn(proof[Math.floor(at / 32)], at);
        } else {
          const i = where === 'first' ? 0 : 1;
          roots[i] = flipIn(roots[i], c);
        }
        expect(() => verifyConsistency(first, second, roots[0], roots[1], proof)).toThrow(ProofError);
      }),
    );
  });

  it('a store refuses a subtree written again with another hash (a forked log), and accepts the same one again', () => {
    const store = new InMemoryHashStore();
    const { nodes } = CompactRange.empty().append([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
    store.put(nodes);
    expect(() => store.put(nodes)).not.toThrow();
    const forked = CompactRange.empty().append([Buffer.alloc(32, 1), Buffer.alloc(32, 3)]).nodes;
    expect(() => store.put(forked)).toThrow(expect.objectContaining({ code: 'node-conflict' }));
  });

  it('an append that emits only some levels lists exactly those of the full append, and ends at the same range and root', () => {
    fc.assert(
      fc.property(leavesArb(0, 200), batchesArb, fc.uniqueArray(fc.integer({ min: 0, max: 8 }), { maxLength: 9 }), (leaves, batches, kept) => {
        let full = CompactRange.empty();
        let some = CompactRange.empty();
        let next = 0;
        for (let b = 0; next < leaves.length; b++) {
          const take = batches.length === 0 ? leaves.length : batches[b % batches.length];
          const hashes = leaves.slice(next, next + take).map(leafHash);
          const all = full.append(hashes);
          const filtered = some.append(hashes, (level) => kept.includes(level));
          expect(filtered.nodes).toEqual(all.nodes.filter((n) => kept.includes(n.level)));
          expect(filtered.root.equals(all.root)).toBe(true);
          expect(filtered.range.nodes()).toEqual(all.range.nodes());
          full = all.range;
          some = filtered.range;
          next += take;
        }
        expect(full.root().equals(specRoot(leaves))).toBe(true);
      }),
    );
  });

  it('refuses a frontier that does not fit the tree size', () => {
    const { range } = CompactRange.empty().append([Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)]);
    expect(CompactRange.fromFrontier(3, range.nodes()).root().equals(range.root())).toBe(true);
    expect(() => CompactRange.fromFrontier(4, range.nodes())).toThrow(ProofError);
    expect(() => CompactRange.fromFrontier(3, range.nodes().slice(1))).toThrow(ProofError);
  });

  it('a store missing a subtree makes proof generation fail with missing-node, not a wrong proof', async () => {
    const store = new InMemoryHashStore();
    const { nodes } = CompactRange.empty().append([Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)]);
    store.put(nodes.filter((n) => !(n.level === 1 && n.index === 0)));
    await expect(inclusionProof(store, 2, 3)).rejects.toMatchObject({ code: 'missing-node' });
  });
});

describe('pruning after a retention purge', () => {
  it('keeps every proof of the remaining leaves and between sizes ≥ the purge point, and only O(log p) hashes of the purged part', async () => {
    await fc.assert(
      fc.asyncProperty(leavesArb(1, 160), fc.nat(), fc.nat(), fc.nat(), fc.nat(), async (leaves, a, b, c, d) => {
        const n = leaves.length;
        const purgedBefore = a % (n + 1);
        const { store } = buildLog(leaves, []);
        store.prune(purgedBefore);
        // What is left of the purged region: its frontier only.
        const kept = [];
        for (let level = 0; 2 ** level <= Math.max(purgedBefore, 1); level++) {
          for (let index = 0; (index + 1) * 2 ** level <= purgedBefore; index++) {
            if (await store.getNodes([{ level, index }]).then(() => true, () => false)) kept.push({ level, index });
          }
        }
        expect(kept.length).toBeLessThanOrEqual(log2ceil(purgedBefore) + 1);
        if (purgedBefore < n) {
          const size = purgedBefore + 1 + (b % (n - purgedBefore));
          const index = purgedBefore + (c % (size - purgedBefore));
          const proof = await inclusionProof(store, index, size);
          expect(() => verifyInclusion(index, size, leafHash(leaves[index]), proof, specRoot(leaves.slice(0, size)))).not.toThrow();
        }
        const second = purgedBefore + (b % (n - purgedBefore + 1));
        const first = purgedBefore + (d % (second - purgedBefore + 1));
        const proof = await consistencyProof(store, first, second);
        expect(() => verifyConsistency(first, second, specRoot(leaves.slice(0, first)), specRoot(leaves.slice(0, second)), proof)).not.toThrow();
      }),
    );
  });

  it('prunes the interior of the purged region (the rule is not "keep everything")', () => {
    const leaves = Array.from({ length: 16 }, (_, i) => Buffer.from([i]));
    const { store } = buildLog(leaves, []);
    // Wholly inside the first 12 leaves: 12 leaves, 6 pairs, 3 fours and 1 eight; of these only the
    // maximal ones, (3,0) covering [0,8) and (2,2) covering [8,12), stay.
    expect(store.prune(12)).toBe(12 + 6 + 3 + 1 - 2);
    expect(store.prune(12)).toBe(0);
  });
});
