import type { AuditEvent } from '@audit/contracts';
import type { TestDatabase } from '@audit/testing';
import { LEAF_BYTES } from '@audit/persistence';
import { isStoredLevel, leafHash, openCheckpoint, parseLeafBytes, parseVerifierKey, rootOf, TILE_HEIGHT, verifyEventLeaf, type Checkpoint } from '@audit/transparency';

/** What a test reads back of one organization's log, after checking it is whole. */
export interface CheckedLog {
  /** Event ids in leaf order. */
  ids: string[];
  size: number;
  rootHash: Buffer;
}

/**
 * Reads one organization's log straight from its tables and checks what every sealer must leave: leaf
 * indices 0..n-1 with no gap, each event id once, each leaf's commitment opened by its salt and the
 * event's content (`events` by id), every stored subtree hash recomputed from the leaves, and the tree's
 * head equal to the root of its leaves.
 */
export async function checkLog(db: TestDatabase, organizationId: string, events: ReadonlyMap<string, AuditEvent>): Promise<CheckedLog> {
  const leaves = await db.query<{ leafIndex: string; eventId: string; leaf: Buffer; salt: Buffer; user: AuditEvent['user'] }>(
    `SELECT l."leafIndex", l."eventId", ${LEAF_BYTES('l')} AS leaf, l.salt, l."user" FROM log_leaves l WHERE l."organizationId" = $1 ORDER BY l."leafIndex"`,
    [organizationId],
  );
  leaves.forEach((l, i) => {
    if (Number(l.leafIndex) !== i) throw new Error(`leaf ${i} is stored at index ${l.leafIndex}`);
    const sealed = parseLeafBytes(l.leaf);
    const event = events.get(l.eventId);
    if (!event) throw new Error(`leaf ${i} seals ${l.eventId}, which was never published`);
    const verdict = verifyEventLeaf({ ...event, user: l.user, commitment: sealed.commitment, salt: l.salt.toString('base64') }, sealed);
    if (verdict.status !== 'verified') throw new Error(`leaf ${i}: ${JSON.stringify(verdict)}`);
  });
  const hashes = leaves.map((l) => leafHash(l.leaf));
  const nodes = await db.query<{ level: number; index: string; hash: Buffer }>(`SELECT level, index, hash FROM log_nodes WHERE "organizationId" = $1`, [organizationId]);
  for (const n of nodes) {
    const start = Number(n.index) * 2 ** n.level;
    const expected = rootOf(hashes.slice(start, start + 2 ** n.level));
    if (!expected.equals(n.hash)) throw new Error(`subtree (${n.level}, ${n.index}) holds a hash its leaves do not give`);
  }
  // Every complete subtree of the stored levels (8, 16, …) is stored once, the leaves' own hashes and the levels between not at all.
  let expected = 0;
  for (let width = 2 ** TILE_HEIGHT; width <= leaves.length; width *= 2 ** TILE_HEIGHT) expected += Math.floor(leaves.length / width);
  if (nodes.some((n) => !isStoredLevel(n.level) || n.level === 0) || nodes.length !== expected) throw new Error(`${nodes.length} subtrees stored for ${leaves.length} leaves`);
  const [tree] = await db.query<{ size: string; rootHash: Buffer }>(`SELECT size, "rootHash" FROM log_trees WHERE "organizationId" = $1`, [organizationId]);
  const root = rootOf(hashes);
  if (Number(tree.size) !== leaves.length || !tree.rootHash.equals(root)) throw new Error(`the tree's head (${tree.size}) is not its leaves' (${leaves.length})`);
  return { ids: leaves.map((l) => l.eventId), size: leaves.length, rootHash: root };
}

/** Opens a signed checkpoint with the keys the log lists (log_keys). */
export async function openWithListedKeys(db: TestDatabase, note: string): Promise<Checkpoint> {
  const keys = await db.query<{ verifierKey: string }>(`SELECT "verifierKey" FROM log_keys`);
  return openCheckpoint(note, keys.map((k) => parseVerifierKey(k.verifierKey))).checkpoint;
}
