import { ProofError } from './errors';
import { foldRight, HASH_SIZE, latin1Of, nodeHashLatin1 } from './hash';
import type { SubtreeHashStore } from './store';
import { assertCount, frontierIds, type SubtreeNode } from './tree-math';

/** What one {@link CompactRange.append} produced. */
export type AppendResult = {
  /** The range after the append (this one is left unchanged). */
  range: CompactRange;
  /** Every complete subtree the new leaves completed (the leaves themselves at level 0), to persist. */
  nodes: SubtreeNode[];
  /** MTH of the whole tree after the append. */
  root: Buffer;
};

/**
 * The frontier of an append-only Merkle tree: the roots of its maximal complete subtrees, largest
 * (leftmost) first, one per set bit of the tree size. That is all an appender needs: appending a leaf
 * merges equal-sized subtrees on the right, and the tree's root is their right fold.
 *
 * Immutable: {@link append} returns a new range, so a caller that fails to persist the emitted nodes
 * keeps the range it had and can retry.
 */
export class CompactRange {
  private constructor(
    /** Number of leaves. */
    readonly size: number,
    private readonly frontier: readonly SubtreeNode[],
  ) {}

  /** The range of the empty tree. */
  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /** The range of a tree of `size` leaves, read from its store: at most log2(size)+1 hashes in one call. */
  static async load(store: SubtreeHashStore, size: number): Promise<CompactRange> {
    assertCount('size', size);
    const ids = frontierIds(size);
    const hashes = ids.length === 0 ? [] : await store.getNodes(ids);
    return CompactRange.fromFrontier(
      size,
      ids.map((id, i) => ({ ...id, hash: hashes[i] })),
    );
  }

  /** The range of a tree of `size` leaves from its frontier hashes (as {@link frontier} returns them). */
  static fromFrontier(size: number, nodes: readonly SubtreeNode[]): CompactRange {
    assertCount('size', size);
    const ids = frontierIds(size);
    if (nodes.length !== ids.length || nodes.some((n, i) => n.level !== ids[i].level || n.index !== ids[i].index)) {
      throw new ProofError('proof-length', `a tree of ${size} leaves has the frontier ${JSON.stringify(ids)}`);
    }
    for (const n of nodes) {
      if (n.hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `node (${n.level}, ${n.index}) has ${n.hash.length} bytes`);
    }
    return new CompactRange(size, nodes.map((n) => ({ ...n })));
  }

  /** The frontier's subtrees, largest first. */
  nodes(): readonly SubtreeNode[] {
    return this.frontier;
  }

  /** MTH of the tree (SHA-256 of nothing when empty). */
  root(): Buffer {
    return foldRight(this.frontier.map((n) => n.hash));
  }

  /**
   * Appends leaf hashes (each SHA-256(0x00 ‖ leaf bytes), see `leafHash`) in order. `emit` names the levels
   * whose completed subtrees the result lists (default: every level, the leaves' own at level 0): an
   * appender that stores only some levels is not handed, nor made to allocate, the others.
   */
  append(leafHashes: readonly Uint8Array[], emit: (level: number) => boolean = () => true): AppendResult {
    // Hashed as latin1 strings (one character per byte): a string result costs a third of a Buffer's, and
    // an append makes about one interior hash per leaf. Buffers only for what leaves this method.
    const levels = this.frontier.map((n) => n.level);
    const hashes = this.frontier.map((n) => latin1Of(n.hash));
    const indices = this.frontier.map((n) => n.index);
    const nodes: SubtreeNode[] = [];
    let size = this.size;
    for (const leaf of leafHashes) {
      if (leaf.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `leaf ${size} has a ${leaf.length}-byte hash`);
      let level = 0;
      let index = size;
      let hash = latin1Of(leaf);
      if (emit(0)) nodes.push({ level, index, hash: Buffer.from(hash, 'latin1') });
      // Two subtrees of the same level on the right are siblings: merge them into their parent.
      while (levels.length > 0 && levels[levels.length - 1] === level) {
        levels.pop();
        index = (indices.pop() as number) / 2;
        hash = nodeHashLatin1(hashes.pop() as string, hash);
        level++;
        if (emit(level)) nodes.push({ level, index, hash: Buffer.from(hash, 'latin1') });
      }
      levels.push(level);
      hashes.push(hash);
      indices.push(index);
      size++;
    }
    const frontier = levels.map((level, i) => ({ level, index: indices[i], hash: Buffer.from(hashes[i], 'latin1') }));
    const range = new CompactRange(size, frontier);
    return { range, nodes, root: range.root() };
  }
}
