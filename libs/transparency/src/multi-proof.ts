import { ProofError } from './errors';
import { foldRight, HASH_SIZE, latin1Of, nodeHashLatin1, nodeHashLatin1At } from './hash';
import type { SubtreeHashStore } from './store';
import { assertCount, isPowerOfTwo, rangeNodes, splitPoint, type NodeId } from './tree-math';

/** A leaf the verifier holds: its index and its hash (SHA-256(0x00 ‖ leaf bytes)). */
export type IndexedLeaf = { index: number; hash: Uint8Array };

/**
 * Walks the RFC 9162 tree of `size` leaves depth first, left to right, and calls `gap` for each
 * maximal subtree holding none of `indices`: those subtrees' hashes are the proof, in that order.
 * `indices` is sorted and distinct; recursion depth is the tree height (≤ 53).
 */
function walkGaps(indices: readonly number[], size: number, gap: (start: number, end: number) => void): void {
  const visit = (lo: number, hi: number, from: number, to: number): void => {
    if (from === to) return gap(lo, hi);
    if (hi - lo === 1) return;
    const mid = lo + splitPoint(hi - lo);
    let split = from;
    while (split < to && indices[split] < mid) split++;
    visit(lo, mid, from, split);
    visit(mid, hi, split, to);
  };
  visit(0, size, 0, indices.length);
}

function assertIndices(indices: ArrayLike<number>, size: number): void {
  assertCount('size', size);
  if (indices.length === 0) throw new ProofError('index-out-of-range', 'a multi-leaf proof needs at least one leaf');
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    assertCount(`leaf index ${i}`, index);
    if (index >= size) throw new ProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
    if (i > 0 && index <= indices[i - 1]) throw new ProofError('index-out-of-range', `leaf indices must increase: ${indices[i - 1]} then ${index}`);
  }
}

/**
 * One proof that many leaves are in the tree of `size` leaves: the hashes of the maximal subtrees
 * that hold none of them, depth first, left to right. It shares every node the leaves' separate
 * RFC 9162 paths have in common, so k leaves of n need about k·log2(n/k) hashes, and checking it
 * costs about one node hash per leaf when the leaves are dense (an export of a time range).
 * Not an RFC 9162 format (for one leaf, the RFC's inclusion proof is {@link inclusionProof}).
 */
export async function multiInclusionProof(store: SubtreeHashStore, indices: readonly number[], size: number): Promise<Buffer[]> {
  assertIndices(indices, size);
  const perGap: NodeId[][] = [];
  walkGaps(indices, size, (start, end) => perGap.push(rangeNodes(start, end)));
  const ids = perGap.flat();
  const hashes = ids.length === 0 ? [] : await store.getNodes(ids);
  let next = 0;
  return perGap.map((nodes) => foldRight(hashes.slice(next, (next += nodes.length))));
}

/**
 * Leaves as two columns, for a verifier holding many (an export bundle): increasing indices, and their
 * hashes one after another, 32 bytes each. One buffer instead of an object and a buffer per leaf.
 */
export type LeafColumns = { indices: ArrayLike<number>; hashes: Buffer };

/**
 * The leaves' indices, each one's hash as a latin1 string (see nodeHashLatin1), and the hash of the node over
 * the i-th and the next leaf as one.
 */
function columnsOf(leaves: readonly IndexedLeaf[] | LeafColumns): { indices: ArrayLike<number>; hashAt: (i: number) => string; pairAt: (i: number) => string } {
  if (!Array.isArray(leaves)) {
    const { indices, hashes } = leaves as LeafColumns;
    if (hashes.length !== indices.length * HASH_SIZE) throw new ProofError('bad-hash-size', `${indices.length} leaves need ${indices.length * HASH_SIZE} bytes of hashes, not ${hashes.length}`);
    // Two consecutive leaves' hashes stand side by side in the column: their node is hashed from it directly.
    return { indices, hashAt: (i) => hashes.toString('latin1', i * HASH_SIZE, (i + 1) * HASH_SIZE), pairAt: (i) => nodeHashLatin1At(hashes, i * HASH_SIZE) };
  }
  const list = leaves as readonly IndexedLeaf[];
  list.forEach((l) => {
    if (l.hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the hash of leaf ${l.index} has ${l.hash.length} bytes`);
  });
  const hashAt = (i: number): string => latin1Of(list[i].hash);
  return { indices: list.map((l) => l.index), hashAt, pairAt: (i) => nodeHashLatin1(hashAt(i), hashAt(i + 1)) };
}

/**
 * The hashes of the aligned ranges of `rangeLeaves` leaves ([j·R, min((j+1)·R, size))) that hold at least one
 * of `indices`, in increasing order: each is a node of the RFC 9162 tree (R a power of two), so beside a
 * multi-leaf proof they fold into the root with its hashes, and a verifier that finds a range whose leaves do
 * not give its hash can name that range's leaves alone ({@link rangedMultiInclusion}).
 */
export async function rangeHashes(store: SubtreeHashStore, indices: readonly number[], size: number, rangeLeaves: number): Promise<Buffer[]> {
  assertIndices(indices, size);
  assertRangeLeaves(rangeLeaves);
  const perRange: NodeId[][] = [];
  let last = -1;
  for (const index of indices) {
    const range = Math.floor(index / rangeLeaves);
    if (range === last) continue;
    last = range;
    perRange.push(rangeNodes(range * rangeLeaves, Math.min(size, (range + 1) * rangeLeaves)));
  }
  const hashes = await store.getNodes(perRange.flat());
  let next = 0;
  return perRange.map((nodes) => foldRight(hashes.slice(next, (next += nodes.length))));
}

function assertRangeLeaves(rangeLeaves: number): void {
  if (!isPowerOfTwo(rangeLeaves)) throw new ProofError('index-out-of-range', `a range holds a power of two leaves, not ${rangeLeaves}`);
}

/** The proven hashes of the aligned ranges that hold leaves (see {@link rangeHashes}), and how many leaves a range spans. */
export type RangeHashes = { rangeLeaves: number; hashes: readonly Uint8Array[] };

/** A range of leaf indices [start, end). */
export type LeafRange = { start: number; end: number };

/**
 * The root a multi-leaf proof leads to, folded with the ranges' hashes in place of the ranges when `ranges`
 * is given; and the ranges whose leaves (with the proof's hashes inside them) do not give their range's hash.
 * Throws a {@link ProofError} when the proof's or the ranges' shape is wrong for the leaves and size.
 */
function fold(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[], ranges?: RangeHashes): { root: Buffer; differing: LeafRange[] } {
  const { indices, hashAt, pairAt } = columnsOf(leaves);
  const count = indices.length;
  assertIndices(indices, size);
  proof.forEach((p, i) => {
    if (p.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `proof element ${i} has ${p.length} bytes`);
  });
  if (ranges !== undefined) {
    assertRangeLeaves(ranges.rangeLeaves);
    ranges.hashes.forEach((h, i) => {
      if (h.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `range hash ${i} has ${h.length} bytes`);
    });
  }
  // A node no larger than a range is inside one range; the first such node met going down is the range itself.
  const rangeLeaves = ranges?.rangeLeaves ?? 0;
  const differing: LeafRange[] = [];
  let nextProof = 0;
  let nextRange = 0;
  // Hashes travel as latin1 strings: a node costs one short string, not a Buffer (nodeHashLatin1).
  const compute = (lo: number, hi: number, from: number, to: number, inRange: boolean): string => {
    if (from === to) {
      if (nextProof >= proof.length) throw new ProofError('proof-length', `the proof has fewer elements than ${count} leaves of ${size} need`);
      return latin1Of(proof[nextProof++]);
    }
    if (!inRange && hi - lo <= rangeLeaves) {
      if (ranges === undefined || nextRange >= ranges.hashes.length) throw new ProofError('proof-length', `the ranges are fewer than those that hold the ${count} leaves`);
      const proven = latin1Of(ranges.hashes[nextRange++]);
      // The range's proven hash goes up, so a range that differs leaves the others' verdicts intact.
      if (compute(lo, hi, from, to, true) !== proven) differing.push({ start: lo, end: hi });
      return proven;
    }
    if (hi - lo === 1) return hashAt(from);
    // Both leaves of a lowest node held (half the nodes of a dense export), unless each leaf is a range of its own.
    if (hi - lo === 2 && to - from === 2 && (inRange || rangeLeaves === 0)) return pairAt(from);
    const mid = lo + splitPoint(hi - lo);
    // The first of indices[from, to) at or past mid: a binary search, as a dense export has a leaf in every subtree.
    let split = from;
    for (let high = to; split < high; ) {
      const m = (split + high) >>> 1;
      if (indices[m] < mid) split = m + 1;
      else high = m;
    }
    return nodeHashLatin1(compute(lo, mid, from, split, inRange), compute(mid, hi, split, to, inRange));
  };
  const root = compute(0, size, 0, count, false);
  if (nextProof !== proof.length) throw new ProofError('proof-length', `the proof has more elements than ${count} leaves of ${size} need`);
  if (ranges !== undefined && nextRange !== ranges.hashes.length) throw new ProofError('proof-length', `the ranges are more than those that hold the ${count} leaves`);
  return { root: Buffer.from(root, 'latin1'), differing };
}

/** The root a multi-leaf proof leads to; throws a {@link ProofError} when its shape is wrong for the leaves and size. */
export function rootFromMultiInclusionProof(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[]): Buffer {
  return fold(size, leaves, proof).root;
}

const leafCount = (leaves: readonly IndexedLeaf[] | LeafColumns): number => (Array.isArray(leaves) ? leaves.length : (leaves as LeafColumns).indices.length);

/**
 * Checks a multi-leaf proof with the hashes of the ranges holding its leaves: the ranges' hashes with the
 * proof's must lead to `root` (else a {@link ProofError}, as from {@link verifyMultiInclusion}), which proves
 * them; then every leaf is proven but those of the returned ranges, whose leaves do not give their range's
 * proven hash (a leaf, or a proof hash inside the range, was altered). The root stays the only trust anchor.
 */
export function rangedMultiInclusion(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[], ranges: RangeHashes, root: Uint8Array): LeafRange[] {
  if (root.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the root has ${root.length} bytes`);
  const { root: computed, differing } = fold(size, leaves, proof, ranges);
  if (!computed.equals(root)) throw new ProofError('root-mismatch', `the proof and the range hashes of ${leafCount(leaves)} leaves do not lead to the root of the tree of ${size} leaves`);
  return differing;
}

/** Throws a {@link ProofError} unless `proof` proves every one of `leaves` in the tree `root` of `size` leaves. */
export function verifyMultiInclusion(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[], root: Uint8Array): void {
  if (root.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the root has ${root.length} bytes`);
  const computed = rootFromMultiInclusionProof(size, leaves, proof);
  if (!computed.equals(root)) throw new ProofError('root-mismatch', `the proof of ${leafCount(leaves)} leaves does not lead to the root of the tree of ${size} leaves`);
}
