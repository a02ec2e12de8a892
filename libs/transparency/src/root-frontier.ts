import { CompactRange } from './compact-range';
import { EMPTY_ROOT, latin1Of, nodeHashLatin1 } from './hash';
import type { SubtreeNode } from './tree-math';

/**
 * A tree's frontier kept only to recompute its root: the roots of its maximal complete subtrees, largest
 * first, as latin1 strings (hash.ts). A verifier that rebuilds a whole log (`verify log`) hashes each leaf
 * and about one interior node per leaf; a string result costs a third of a Buffer's, and nothing here is
 * stored or handed out, so the {@link CompactRange} an appender needs (immutable, with its emitted nodes)
 * would only add allocations. Mutable: {@link append} changes it in place.
 */
export class RootFrontier {
  private readonly hashes: string[] = [];
  private readonly levels: number[] = [];

  private constructor(private leaves: number) {}

  /**
   * The frontier of a tree of `size` leaves from its subtree hashes (largest first, as a store keeps them):
   * throws a ProofError when they are not that tree's frontier, like {@link CompactRange.fromFrontier}.
   */
  static fromNodes(size: number, nodes: readonly SubtreeNode[]): RootFrontier {
    const frontier = new RootFrontier(size);
    for (const node of CompactRange.fromFrontier(size, nodes).nodes()) {
      frontier.hashes.push(latin1Of(node.hash));
      frontier.levels.push(node.level);
    }
    return frontier;
  }

  /** Number of leaves. */
  get size(): number {
    return this.leaves;
  }

  /** Appends one leaf hash (leafHashLatin1), merging the equal-sized subtrees it completes on the right. */
  append(leafHash: string): void {
    let hash = leafHash;
    let level = 0;
    const { hashes, levels } = this;
    while (levels.length > 0 && levels[levels.length - 1] === level) {
      levels.pop();
      hash = nodeHashLatin1(hashes.pop() as string, hash);
      level++;
    }
    hashes.push(hash);
    levels.push(level);
    this.leaves++;
  }

  /** MTH of the tree: the frontier folded from the right (SHA-256 of nothing when empty). */
  root(): Buffer {
    const { hashes } = this;
    if (hashes.length === 0) return EMPTY_ROOT;
    let acc = hashes[hashes.length - 1];
    for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHashLatin1(hashes[i], acc);
    return Buffer.from(acc, 'latin1');
  }
}
