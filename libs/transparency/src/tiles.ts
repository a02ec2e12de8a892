import { ProofError } from './errors';
import { nodeHash } from './hash';
import type { SubtreeHashStore } from './store';
import type { NodeId, SubtreeNode } from './tree-math';

/**
 * A log stores the complete subtrees of every `TILE_HEIGHT`-th level only (level 0 being the leaves), as
 * C2SP tlog-tiles does: the levels between are recomputed from the stored level below them, at most
 * 2^(TILE_HEIGHT-1) hashes away. An append then writes one subtree per 16 leaves (and one per 256, …)
 * instead of about one per leaf, and a proof reads at most two tiles of 16 hashes per stored level (the
 * leaf's, and the right edge's).
 *
 * 4, not C2SP's 8: with tiles of 256 an inclusion proof read about 640 hashes and folded about 500 of them
 * in memory (0.85 ms of CPU per proof at 2^20 leaves, against 0.12 ms with 4), which bench:proof showed as
 * slower than reading every level; with 4 the log still writes 15 times fewer rows than with every level.
 */
export const TILE_HEIGHT = 4;

/** Whether the log keeps the complete subtrees of `level` (the others are recomputed when a proof needs them). */
export function isStoredLevel(level: number): boolean {
  return level % TILE_HEIGHT === 0;
}

/**
 * The widest span {@link spansFor} returns (one tile): a wider run is cut. A database read can then cap each
 * span's rows (`LIMIT`), which keeps its planner from costing a range of unknown bounds as a large part of the
 * table (at 10M leaves that cost passed Postgres's JIT threshold, and compiling took longer than the read).
 */
export const MAX_SPAN_WIDTH = 2 ** TILE_HEIGHT;

/** The subtrees of one level with indices in [from, to). */
export type NodeSpan = { level: number; from: number; to: number };

/**
 * What a tiled log holds: the stored subtrees (and, after a retention purge, the few hashes it kept of any
 * level) found in the spans asked for. Absent subtrees are simply not returned; one call is meant to be one read.
 */
export interface StoredNodeSource {
  readSpans(spans: readonly NodeSpan[]): Promise<SubtreeNode[]>;
}

/**
 * The spans a store must read to give the hashes of `ids`: each subtree's descendants at the stored level below
 * it (or the subtree itself, when its level is stored), merged per level. With `levels` `'all'`, also the
 * subtree itself and every level between: a retention purge keeps some subtrees of unstored levels whose
 * descendants are gone (see `retainedAfterPurge`), and only those spans find them.
 */
export function spansFor(ids: readonly NodeId[], levels: 'stored' | 'all' = 'all'): NodeSpan[] {
  const byLevel = new Map<number, Array<[number, number]>>();
  for (const { level, index } of ids) {
    const floor = level - (level % TILE_HEIGHT);
    for (let l = level; l >= floor; l--) {
      if (levels === 'stored' && l !== floor) continue;
      const width = 2 ** (level - l);
      let runs = byLevel.get(l);
      if (!runs) byLevel.set(l, (runs = []));
      runs.push([index * width, (index + 1) * width]);
    }
  }
  const spans: NodeSpan[] = [];
  const push = (level: number, from: number, to: number): void => {
    for (let start = from; start < to; start += MAX_SPAN_WIDTH) spans.push({ level, from: start, to: Math.min(to, start + MAX_SPAN_WIDTH) });
  };
  for (const [level, runs] of [...byLevel].sort((a, b) => a[0] - b[0])) {
    runs.sort((a, b) => a[0] - b[0]);
    let [from, to] = runs[0];
    for (const [start, end] of runs.slice(1)) {
      if (start <= to) to = Math.max(to, end);
      else {
        push(level, from, to);
        [from, to] = [start, end];
      }
    }
    push(level, from, to);
  }
  return spans;
}

/**
 * A {@link SubtreeHashStore} over a log that stores only the levels {@link isStoredLevel} names, the hashes of
 * unstored levels folded from their children in memory. One {@link StoredNodeSource} read of the stored levels
 * answers every call on a log that retention never purged (a third of the spans of reading every level
 * between as well); a call that reaches into a purged prefix, where the kept hashes may be of any level and
 * their descendants gone, takes a second read of every level.
 */
export class TiledHashStore implements SubtreeHashStore {
  constructor(private readonly source: StoredNodeSource) {}

  async getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const known = new Map<number, Buffer>();
    await this.read(known, spansFor(ids, 'stored'));
    try {
      return resolveAll(known, ids);
    } catch (error) {
      if (!(error instanceof ProofError && error.code === 'missing-node')) throw error;
    }
    await this.read(known, spansFor(ids, 'all'));
    return resolveAll(known, ids);
  }

  private async read(known: Map<number, Buffer>, spans: NodeSpan[]): Promise<void> {
    for (const n of await this.source.readSpans(spans)) known.set(key(n.level, n.index), n.hash);
  }
}

function resolveAll(known: Map<number, Buffer>, ids: readonly NodeId[]): Buffer[] {
  return ids.map(({ level, index }) => resolve(known, level, index, level - (level % TILE_HEIGHT)));
}

// A number, not a string: cheaper than building a string per hash (about 15 % of a proof's fold in memory).
// Exact while index · 64 stays below 2^53 (indices below 2^47, far beyond any log).
const key = (level: number, index: number): number => index * 64 + level;

/** The subtree's hash as read, or folded from its two children, never reaching below the stored level `floor`. */
function resolve(known: Map<number, Buffer>, level: number, index: number, floor: number): Buffer {
  const k = key(level, index);
  const hash = known.get(k);
  if (hash !== undefined) return hash;
  if (level === floor) throw new ProofError('missing-node', `the log has no hash for the subtree (${level}, ${index})`);
  const folded = nodeHash(resolve(known, level - 1, index * 2, floor), resolve(known, level - 1, index * 2 + 1, floor));
  known.set(k, folded);
  return folded;
}
