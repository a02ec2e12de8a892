import { ProofError } from './errors';
import { isPrunable } from './prune';
import { HASH_SIZE } from './hash';
import type { NodeSpan, StoredNodeSource } from './tiles';
import type { NodeId, SubtreeNode } from './tree-math';

/**
 * Read side of a log's persisted hashes: the hash of each complete subtree, keyed (level, index).
 * Proof generation asks for all the subtrees one proof needs in a single call (at most 2·log2(n)+1
 * of them), so a database-backed store answers a proof with one indexed query and never scans.
 */
export interface SubtreeHashStore {
  /**
   * The hashes of `ids`, in the same order. Rejects with a {@link ProofError} `missing-node` when any
   * is absent (a store is only asked for subtrees that are complete in a tree it has appended).
   */
  getNodes(ids: readonly NodeId[]): Promise<Buffer[]>;
}

/**
 * A {@link SubtreeHashStore} in memory, for tests, the offline verifier and small tools. Holding only the
 * levels a log stores, it is also the {@link StoredNodeSource} of a `TiledHashStore`.
 */
export class InMemoryHashStore implements SubtreeHashStore, StoredNodeSource {
  private readonly levels: Buffer[][] = [];

  /** Keeps the nodes the appender emitted; a node already kept must not change. */
  put(nodes: readonly SubtreeNode[]): void {
    for (const { level, index, hash } of nodes) {
      if (hash.length !== HASH_SIZE) throw new ProofError('bad-hash-size', `node (${level}, ${index}) has ${hash.length} bytes`);
      const row = (this.levels[level] ??= []);
      const existing = row[index];
      if (existing !== undefined && !existing.equals(hash)) {
        throw new ProofError('node-conflict', `node (${level}, ${index}) is already stored with another hash`);
      }
      row[index] = hash;
    }
  }

  /** Deletes what {@link isPrunable} allows once the leaves before `purgedBefore` are purged; returns how many. */
  prune(purgedBefore: number): number {
    let deleted = 0;
    this.levels.forEach((row, level) => {
      row.forEach((_, index) => {
        if (isPrunable({ level, index }, purgedBefore)) {
          delete row[index];
          deleted++;
        }
      });
    });
    return deleted;
  }

  getNodes(ids: readonly NodeId[]): Promise<Buffer[]> {
    try {
      return Promise.resolve(ids.map((id) => this.get(id)));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  readSpans(spans: readonly NodeSpan[]): Promise<SubtreeNode[]> {
    const found: SubtreeNode[] = [];
    for (const { level, from, to } of spans) {
      const row = this.levels[level] ?? [];
      for (let index = from; index < to; index++) {
        const hash = row[index];
        if (hash !== undefined) found.push({ level, index, hash });
      }
    }
    return Promise.resolve(found);
  }

  private get({ level, index }: NodeId): Buffer {
    const hash = this.levels[level]?.[index];
    if (hash === undefined) throw new ProofError('missing-node', `no hash stored for the subtree (${level}, ${index})`);
    return hash;
  }
}
