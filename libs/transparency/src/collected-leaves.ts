import { HASH_SIZE } from './hash';
import type { LeafColumns } from './multi-proof';

/**
 * The leaves a bundle names, as columns: their indices, and their hashes in one buffer (an object and a
 * buffer kept per leaf cost a verifier of a million events more in garbage collection than in hashing).
 */
export class CollectedLeaves {
  private readonly indices: number[] = [];
  private hashes = Buffer.alloc(HASH_SIZE * 4096);

  get count(): number {
    return this.indices.length;
  }

  /** A leaf and its hash as a latin1 string (leafHashLatin1). */
  add(index: number, hash: string): void {
    const at = this.indices.length * HASH_SIZE;
    if (at + HASH_SIZE > this.hashes.length) {
      const grown = Buffer.alloc(this.hashes.length * 2);
      this.hashes.copy(grown);
      this.hashes = grown;
    }
    this.hashes.write(hash, at, HASH_SIZE, 'latin1');
    this.indices.push(index);
  }

  /** The leaves in increasing index order; undefined when two name the same leaf. */
  sorted(): LeafColumns | undefined {
    const { indices } = this;
    const n = indices.length;
    const hashes = this.hashes.subarray(0, n * HASH_SIZE);
    let ascending = true;
    let descending = true;
    for (let i = 1; i < n; i++) {
      if (indices[i] <= indices[i - 1]) ascending = false;
      if (indices[i] >= indices[i - 1]) descending = false;
    }
    if (ascending) return { indices, hashes };
    // Newest first as exported: one descending run, reversed; any other order sorted.
    const order = Array.from({ length: n }, (_, i) => (descending ? n - 1 - i : i));
    if (!descending) order.sort((a, b) => indices[a] - indices[b]);
    const sortedIndices = order.map((i) => indices[i]);
    for (let k = 1; k < n; k++) if (sortedIndices[k] === sortedIndices[k - 1]) return undefined;
    const sortedHashes = Buffer.allocUnsafe(n * HASH_SIZE);
    order.forEach((i, k) => hashes.copy(sortedHashes, k * HASH_SIZE, i * HASH_SIZE, (i + 1) * HASH_SIZE));
    return { indices: sortedIndices, hashes: sortedHashes };
  }
}
