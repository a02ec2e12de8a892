import { assertCount, frontierIds, type NodeId } from './tree-math';

/**
 * Whether a stored subtree may be deleted once the leaves before `purgedBefore` are purged, with
 * every inclusion proof of a remaining leaf and every consistency proof between tree sizes
 * ≥ `purgedBefore` still answerable.
 *
 * Why this is enough: a proof element that lies wholly among the purged leaves is always a complete
 * subtree whose parent reaches a leaf at or past `purgedBefore`, which makes it one of the maximal
 * complete subtrees of [0, purgedBefore), i.e. the frontier of the tree of `purgedBefore` leaves.
 * So of the purged region only those ≤ log2(purgedBefore)+1 hashes stay; subtrees that reach a
 * remaining leaf are never prunable. Consistency with checkpoints smaller than `purgedBefore` is
 * given up: keep their frontiers too (see {@link frontierIds}) if it must stay provable.
 */
export function isPrunable(node: NodeId, purgedBefore: number): boolean {
  assertCount('purgedBefore', purgedBefore);
  const end = (node.index + 1) * 2 ** node.level;
  if (end > purgedBefore) return false;
  return !frontierIds(purgedBefore).some((f) => f.level === node.level && f.index === node.index);
}

/** The subtrees of the purged region [0, purgedBefore) that must stay: its maximal complete subtrees. */
export function retainedAfterPurge(purgedBefore: number): NodeId[] {
  assertCount('purgedBefore', purgedBefore);
  return frontierIds(purgedBefore);
}
