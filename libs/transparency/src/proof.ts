import { ProofError } from './errors';
import { foldRight, HASH_SIZE, latin1Of, nodeHashLatin1 } from './hash';
import type { SubtreeHashStore } from './store';
import { assertCount, isPowerOfTwo, rangeNodes, splitPoint, type NodeId } from './tree-math';

/** A leaf range [start, end) whose MTH is one element of a proof. */
type Range = { start: number; end: number };

/**
 * The ranges of PATH(m, D[0:n]) (RFC 9162 §2.1.3.1), leaf level first. Walking down from the root,
 * each step keeps the half holding leaf m and records the other half as a proof element.
 */
export function inclusionRanges(index: number, size: number): Range[] {
  const siblings: Range[] = [];
  let [lo, hi] = [0, size];
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      siblings.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      siblings.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return siblings.reverse();
}

/** The ranges of PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) (RFC 9162 §2.1.4.1), in proof order. */
export function consistencyRanges(first: number, second: number): Range[] {
  const siblings: Range[] = [];
  let [lo, hi] = [0, second];
  let complete = true; // SUBPROOF's b: whether D[lo:hi] restricted to `first` is the old tree itself
  while (first !== hi) {
    const k = splitPoint(hi - lo);
    if (first <= lo + k) {
      siblings.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      siblings.push({ start: lo, end: lo + k });
      lo += k;
      complete = false;
    }
  }
  const head = complete ? [] : [{ start: lo, end: hi }];
  return [...head, ...siblings.reverse()];
}

/** Reads every complete subtree the ranges need in one store call and folds each range into its MTH. */
async function hashesOf(store: SubtreeHashStore, ranges: readonly Range[]): Promise<Buffer[]> {
  const perRange = ranges.map((r) => rangeNodes(r.start, r.end));
  const ids: NodeId[] = perRange.flat();
  const hashes = ids.length === 0 ? [] : await store.getNodes(ids);
  if (hashes.length !== ids.length) throw new ProofError('missing-node', `the store returned ${hashes.length} of ${ids.length} hashes`);
  let next = 0;
  return perRange.map((nodes) => foldRight(hashes.slice(next, (next += nodes.length))));
}

/**
 * The inclusion proof of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1),
 * from the store's complete-subtree hashes: one store call of at most 2·log2(size) subtrees.
 */
export async function inclusionProof(store: SubtreeHashStore, index: number, size: number): Promise<Buffer[]> {
  assertCount('index', index);
  assertCount('size', size);
  if (index >= size) throw new ProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
  return hashesOf(store, inclusionRanges(index, size));
}

/**
 * The consistency proof between the trees of the first `first` and `second` leaves
 * (RFC 9162 §2.1.4.1); empty when first is 0 or equal to second.
 */
export async function consistencyProof(store: SubtreeHashStore, first: number, second: number): Promise<Buffer[]> {
  assertCount('first', first);
  assertCount('second', second);
  if (first > second) throw new ProofError('index-out-of-range', `first (${first}) is larger than second (${second})`);
  if (first === 0) return [];
  return hashesOf(store, consistencyRanges(first, second));
}

function assertHash(name: string, hash: Uint8Array): void {
  if (hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `${name} has ${hash.length} bytes, not ${HASH_SIZE}`);
}

const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/**
 * The root that an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–5 without the final
 * comparison). Throws a {@link ProofError} when the proof cannot belong to a tree of `size` leaves.
 */
export function rootFromInclusionProof(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[]): Buffer {
  assertCount('index', index);
  assertCount('size', size);
  if (index >= size) throw new ProofError('index-out-of-range', `leaf index ${index} is not in a tree of ${size} leaves`);
  assertHash('the leaf hash', leafHash);
  proof.forEach((p, i) => assertHash(`proof element ${i}`, p));
  let fn = index;
  let sn = size - 1;
  // Hashes as latin1 strings, as everywhere a verifier hashes (hash.ts nodeHashLatin1): a third of a Buffer's cost.
  let r = latin1Of(leafHash);
  for (const p of proof) {
    if (sn === 0) throw new ProofError('proof-length', `the proof has more than the elements a tree of ${size} leaves needs`);
    if (odd(fn) || fn === sn) {
      r = nodeHashLatin1(latin1Of(p), r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHashLatin1(r, latin1Of(p));
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw new ProofError('proof-length', `the proof has fewer elements than a tree of ${size} leaves needs`);
  return Buffer.from(r, 'latin1');
}

/** RFC 9162 §2.1.3.2: throws a {@link ProofError} unless `proof` proves leaf `index` in the tree `root` of `size` leaves. */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  assertHash('the root', root);
  const computed = rootFromInclusionProof(index, size, leafHash, proof);
  if (!computed.equals(root)) {
    throw new ProofError('root-mismatch', `the proof of leaf ${index} leads to ${computed.toString('hex')}, not the root ${Buffer.from(root).toString('hex')}`);
  }
}

/**
 * RFC 9162 §2.1.4.2: throws a {@link ProofError} unless `proof` shows the tree `secondRoot` of
 * `second` leaves extends the tree `firstRoot` of `first` leaves. Equal sizes need equal roots and
 * an empty proof; the empty tree is a prefix of every tree (empty proof).
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): void {
  assertCount('first', first);
  assertCount('second', second);
  assertHash('the first root', firstRoot);
  assertHash('the second root', secondRoot);
  proof.forEach((p, i) => assertHash(`proof element ${i}`, p));
  if (first > second) throw new ProofError('index-out-of-range', `first (${first}) is larger than second (${second})`);
  if (first === second || first === 0) {
    if (proof.length !== 0) throw new ProofError('proof-length', `a proof from ${first} to ${second} leaves must be empty`);
    if (first === second && !Buffer.from(firstRoot).equals(secondRoot)) {
      throw new ProofError('root-mismatch', `two trees of ${first} leaves have different roots`);
    }
    return;
  }
  // Step 1.
  if (proof.length === 0) throw new ProofError('proof-length', `a proof from ${first} to ${second} leaves cannot be empty`);
  // Step 2: when the old tree is a complete subtree, its root is the path's starting point.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  // Steps 3–4.
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Step 5.
  let fr = latin1Of(path[0]);
  let sr = fr;
  // Step 6.
  for (const element of path.slice(1)) {
    if (sn === 0) throw new ProofError('proof-length', `the proof from ${first} to ${second} leaves has too many elements`);
    const c = latin1Of(element);
    if (odd(fn) || fn === sn) {
      fr = nodeHashLatin1(c, fr);
      sr = nodeHashLatin1(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHashLatin1(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // Step 7.
  if (sn !== 0) throw new ProofError('proof-length', `the proof from ${first} to ${second} leaves has too few elements`);
  if (fr !== latin1Of(firstRoot)) throw new ProofError('root-mismatch', `the proof does not lead to the root of the tree of ${first} leaves`);
  if (sr !== latin1Of(secondRoot)) throw new ProofError('root-mismatch', `the proof does not lead to the root of the tree of ${second} leaves`);
}
