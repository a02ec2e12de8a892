import { ProofError } from './errors';
import { foldRight, HASH_SIZE, nodeHash } from './hash';
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

function assertIndices(indices: readonly number[], size: number): void {
  assertCount('size', size);
  if (indices.length === 0) throw new ProofError('index-out-of-range', 'a multi-leaf proof needs at least one leaf');
  indices.forEach((index, i) => {
    assertCount(`leaf index ${i}`, index);
    if (index >= size) throw new ProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
    if (i > 0 && index <= indices[i - 1]) throw new ProofError('index-out-of-range', `leaf indices must increase: ${indices[i - 1]} then ${index}`);
  });
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

/** The root a multi-leaf proof leads to; throws a {@link ProofError} when its shape is wrong for the leaves and size. */
export function rootFromMultiInclusionProof(size: number, leaves: readonly IndexedLeaf[], proof: readonly Uint8Array[]): Buffer {
  assertIndices(
    leaves.map((l) => l.index),
    size,
  );
  leaves.forEach((l) => {
    if (l.hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the hash of leaf ${l.index} has ${l.hash.length} bytes`);
  });
  proof.forEach((p, i) => {
    if (p.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `proof element ${i} has ${p.length} bytes`);
  });
  let nextProof = 0;
  // The given hashes are only read (nodeHash copies them into its input), never copied per leaf.
  const compute = (lo: number, hi: number, from: number, to: number): Uint8Array => {
    if (from === to) {
      if (nextProof >= proof.length) throw new ProofError('proof-length', `the proof has fewer elements than ${leaves.length} leaves of ${size} need`);
      return proof[nextProof++];
    }
    if (hi - lo === 1) return leaves[from].hash;
    const mid = lo + splitPoint(hi - lo);
    let split = from;
    while (split < to && leaves[split].index < mid) split++;
    return nodeHash(compute(lo, mid, from, split), compute(mid, hi, split, to));
  };
  const root = compute(0, size, 0, leaves.length);
  if (nextProof !== proof.length) throw new ProofError('proof-length', `the proof has more elements than ${leaves.length} leaves of ${size} need`);
  return Buffer.from(root);
}

/** Throws a {@link ProofError} unless `proof` proves every one of `leaves` in the tree `root` of `size` leaves. */
export function verifyMultiInclusion(size: number, leaves: readonly IndexedLeaf[], proof: readonly Uint8Array[], root: Uint8Array): void {
  if (root.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `the root has ${root.length} bytes`);
  const computed = rootFromMultiInclusionProof(size, leaves, proof);
  if (!computed.equals(root)) throw new ProofError('root-mismatch', `the proof of ${leaves.length} leaves does not lead to the root of the tree of ${size} leaves`);
}
