import { ProofError } from './errors';
import { foldRight, HASH_SIZE, nodeHashLatin1 } from './hash';
import type { SubtreeHashStore } from './store';
import { assertCount, rangeNodes, splitPoint, type NodeId } from './tree-math';

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

const latin1Of = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.length).toString('latin1');

/** The leaves' indices, and each one's hash as a latin1 string (see nodeHashLatin1). */
function columnsOf(leaves: readonly IndexedLeaf[] | LeafColumns): { indices: ArrayLike<number>; hashAt: (i: number) => string } {
  if (!Array.isArray(leaves)) {
    const { indices, hashes } = leaves as LeafColumns;
    if (hashes.length !== indices.length * HASH_SIZE) throw new ProofError('bad-hash-size', `${indices.length} leaves need ${indices.length * HASH_SIZE} bytes of hashes, not ${hashes.length}`);
    return { indices, hashAt: (i) => hashes.toString('latin1', i * HASH_SIZE, (i + 1) * HASH_SIZE) };
  }
  const list = leaves as readonly IndexedLeaf[];
  list.forEach((l) => {
    if (l.hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the hash of leaf ${l.index} has ${l.hash.length} bytes`);
  });
  return { indices: list.map((l) => l.index), hashAt: (i) => latin1Of(list[i].hash) };
}

/** The root a multi-leaf proof leads to; throws a {@link ProofError} when its shape is wrong for the leaves and size. */
export function rootFromMultiInclusionProof(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[]): Buffer {
  const { indices, hashAt } = columnsOf(leaves);
  const count = indices.length;
  assertIndices(indices, size);
  proof.forEach((p, i) => {
    if (p.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `proof element ${i} has ${p.length} bytes`);
  });
  let nextProof = 0;
  // Hashes travel as latin1 strings: a node costs one short string, not a Buffer (nodeHashLatin1).
  const compute = (lo: number, hi: number, from: number, to: number): string => {
    if (from === to) {
      if (nextProof >= proof.length) throw new ProofError('proof-length', `the proof has fewer elements than ${count} leaves of ${size} need`);
      return latin1Of(proof[nextProof++]);
    }
    if (hi - lo === 1) return hashAt(from);
    const mid = lo + splitPoint(hi - lo);
    // The first of indices[from, to) at or past mid: a binary search, as a dense export has a leaf in every subtree.
    let split = from;
    for (let high = to; split < high; ) {
      const m = (split + high) >>> 1;
      if (indices[m] < mid) split = m + 1;
      else high = m;
    }
    return nodeHashLatin1(compute(lo, mid, from, split), compute(mid, hi, split, to));
  };
  const root = compute(0, size, 0, count);
  if (nextProof !== proof.length) throw new ProofError('proof-length', `the proof has more elements than ${count} leaves of ${size} need`);
  return Buffer.from(root, 'latin1');
}

/** Throws a {@link ProofError} unless `proof` proves every one of `leaves` in the tree `root` of `size` leaves. */
export function verifyMultiInclusion(size: number, leaves: readonly IndexedLeaf[] | LeafColumns, proof: readonly Uint8Array[], root: Uint8Array): void {
  if (root.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the root has ${root.length} bytes`);
  const computed = rootFromMultiInclusionProof(size, leaves, proof);
  const count = Array.isArray(leaves) ? leaves.length : (leaves as LeafColumns).indices.length;
  if (!computed.equals(root)) throw new ProofError('root-mismatch', `the proof of ${count} leaves does not lead to the root of the tree of ${size} leaves`);
}
