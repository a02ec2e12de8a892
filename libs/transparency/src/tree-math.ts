import { ProofError } from './errors';

/** A complete subtree: `level` 0 is a leaf; it covers leaves [index·2^level, (index+1)·2^level). */
export type NodeId = { level: number; index: number };

/** A complete subtree and its hash, as the appender emits it and a store keeps it. */
export type SubtreeNode = NodeId & { hash: Buffer };

// Tree sizes stay JavaScript numbers (exact up to 2^53, far beyond any log here); the arithmetic below
// avoids 32-bit bitwise operators so sizes past 2^31 stay correct.

/** Largest power of two strictly below `n` (n ≥ 2): the split point k of RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether `x` is a positive power of two. */
export function isPowerOfTwo(x: number): boolean {
  if (x < 1) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}

/**
 * The complete subtrees whose hashes, folded from the right, give MTH(D[a:b]). Every range a proof
 * needs starts at a multiple of a power of two at least as large as the range, so this is the binary
 * decomposition of its length, largest subtree first.
 */
export function rangeNodes(a: number, b: number): NodeId[] {
  const out: NodeId[] = [];
  while (a < b) {
    let size = 1;
    while (a % (size * 2) === 0 && a + size * 2 <= b) size *= 2;
    out.push({ level: Math.log2(size), index: a / size });
    a += size;
  }
  return out;
}

/** The complete subtrees of the frontier (compact range) of a tree of `size` leaves, largest first. */
export function frontierIds(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** Refuses anything that is not a non-negative safe integer, naming it. */
export function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProofError('index-out-of-range', `${name} must be a non-negative integer, got ${String(value)}`);
  }
}
