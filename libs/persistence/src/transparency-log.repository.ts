import { Injectable } from '@nestjs/common';
import type { AuditUserSnapshot } from '@audit/contracts';
import { EMPTY_ROOT, isLeafTime, isStoredLevel, MAX_SPAN_WIDTH, retainedAfterPurge, TiledHashStore, type NodeSpan, type SubtreeHashStore, type SubtreeNode } from '@audit/transparency';
import { Database, type Sql } from './database';
import { erasedInSql, erasureLockShared } from './erasure-lock';

/** An organization's tree as the log holds it: its size and RFC 9162 root. */
export interface LogTreeHead {
  size: number;
  rootHash: Buffer;
}

/** A leaf to append: its index, the event it seals, the exact leaf bytes, and what the commitment covers that the events table does not keep. */
export interface NewLogLeaf {
  leafIndex: number;
  eventId: string;
  leaf: Buffer;
  /** The 32 random bytes of the commitment. */
  salt: Buffer;
  /** The `user` snapshot the commitment covers (Postgres keeps only each user's latest profile). */
  user: AuditUserSnapshot | null;
  /**
   * The event's person and when it was received: the append stores the leaf without `salt` and `user` when
   * that person was erased at or after then (an erasure that ran while the event was on its way to the log).
   * Absent for an event without a person.
   */
  actor?: { userId: string; receivedAt: string };
  /**
   * The members of `leaf` (a v1 leaf, whose bytes must be exactly their JCS text with this row's id and
   * organization): the row then keeps these (about 70 bytes) instead of the bytes (about 310), whenever
   * `log_leaf_bytes` gives the bytes back from them (see {@link partsGiveLeaf}); otherwise, and without them, the bytes.
   */
  parts?: LeafParts;
}

/** A v1 leaf's members other than the id and the organization, which a log_leaves row holds anyway. */
export interface LeafParts {
  actionType: string;
  /** The commitment's 32 bytes (the leaf holds their base64). */
  commitment: Buffer;
  /** As the leaf holds them: `toISOString`'s form. */
  createdAt: string;
  receivedAt: string;
}

/**
 * What one append writes: the leaves, every subtree they completed (as the appender emits them: only those of
 * the stored levels, `isStoredLevel`, are kept, and the leaves' own hashes not at all), and the tree after it.
 */
export interface LogAppend {
  leaves: NewLogLeaf[];
  nodes: SubtreeNode[];
  head: LogTreeHead;
}

/** What an append's planner is given, inside the transaction that holds the organization's log. */
export interface AppendContext {
  head: LogTreeHead;
  /** Event ids of the batch already in the log: never appended again. */
  sealed: ReadonlySet<string>;
  /** False when the append assumed the batch fresh and did not read `sealed` (empty then; see `append`'s `assumeFresh`). */
  sealedRead: boolean;
  /** The log's subtree hashes, read in the same transaction (to rebuild the appender's frontier). */
  store: SubtreeHashStore;
}

/** A sealed leaf as stored; `salt` (and `user`) are null once the event's content was erased. */
export interface StoredLogLeaf {
  leafIndex: number;
  leaf: Buffer;
  salt: Buffer | null;
  user: AuditUserSnapshot | null;
  sealedAt: Date;
}

/** A signed checkpoint as stored. */
export interface StoredCheckpoint {
  organizationId: string;
  treeSize: number;
  rootHash: Buffer;
  /** The C2SP signed note. */
  note: string;
  signedAt: Date;
}

/** A verification key that signed checkpoints, in the signed-note verifier key form `name+keyid+base64`. */
export interface LogKey {
  verifierKey: string;
  firstUsedAt: Date;
}

// Creating the row if needed and locking it in one statement: ON CONFLICT DO UPDATE takes the row lock, so
// every appender and signer of this organization queues here, whichever replica it runs in.
// It first takes the organization's erasure lock shared (erasure-lock.ts), so every later statement of the
// append sees each erasure committed before it, and no erasure commits until the append has.
const LOCK_TREE = `
  INSERT INTO log_trees ("organizationId", size, "rootHash")
  SELECT $1::text, 0, $2::bytea FROM (SELECT ${erasureLockShared('$1::text')}) erasure_lock
  ON CONFLICT ("organizationId") DO UPDATE SET size = log_trees.size
  RETURNING size, "rootHash"`;

// The leaves go by binary COPY (see leafCopyData): Postgres then only stores each row and its index entries,
// where an INSERT … SELECT over parameter arrays also cut, cast and joined every row (a third of the sealer's
// Postgres CPU per event). `sealedAt` is left to its default, now().
// A leaf whose parts give it back is stored as them, `leaf` null (see the migration LogLeafColumns).
const COPY_LEAVES = `COPY log_leaves ("organizationId", "leafIndex", "eventId", leaf, salt, "user", "actionType", commitment, "createdAt", "receivedAt") FROM STDIN (FORMAT binary)`;

// The leaves just copied whose person was erased at or after their event was received lose their salt and
// snapshot before the append commits, as ErasuresRepository leaves the others (the rule is isErasedBy's,
// as the writer's INSERT_EVENTS applies it). $2..$4: leaf index, user id and receipt of the leaves with a person.
// Run only when WRITE_TREE saw an erasure of the organization since the earliest of those receipts: almost
// never, and each run sent three parameter arrays of the batch's size for Postgres to cut and join.
const ERASE_LEAVES_OF_ERASED = `
  UPDATE log_leaves l SET salt = NULL, "user" = NULL
  FROM unnest($2::bigint[], $3::text[], $4::timestamptz[]) AS t(idx, uid, received)
  WHERE l."organizationId" = $1 AND l."leafIndex" = t.idx
    AND ${erasedInSql('$1', 't.uid', 't.received')}`;

/** A leaf's bytes as every read gives them: kept, or rebuilt from the parts (`l` is the log_leaves alias). */
export const LEAF_BYTES = (l: string): string =>
  `log_leaf_bytes(${l}.leaf, ${l}."organizationId", ${l}."eventId", ${l}."actionType", ${l}.commitment, ${l}."createdAt", ${l}."receivedAt")`;

// The subtrees of the stored levels and the tree's head in one statement (a data-modifying CTE always runs),
// which also tells whether the organization has an erasure at or after $7 (the earliest receipt of the
// append's leaves with a person; null when none has one): only then can ERASE_LEAVES_OF_ERASED empty one of them.
// It reads after the append took the erasure lock (LOCK_TREE, an earlier statement), so it sees every erasure
// committed before the lock, and none commits before the append does.
// Level-0 subtrees (leaf hashes) are not stored: a proof computes them from the leaf (SPANS), and of the
// levels above only every 4th (tiles): one row per 15 leaves, the levels between recomputed. Levels and
// indices go as comma-joined text, the hashes as one binary parameter cut in SQL: pg writes a text array
// literal by escaping each element, and arrays of bytea would go as hex text.
const WRITE_TREE = `
  WITH nodes AS (
    INSERT INTO log_nodes ("organizationId", level, index, hash)
    SELECT $1, lv, ix, substring($4::bytea FROM ((k - 1) * 32 + 1)::int FOR 32)
    FROM unnest(string_to_array($2, ',')::smallint[], string_to_array($3, ',')::bigint[]) WITH ORDINALITY AS t(lv, ix, k)
  )
  UPDATE log_trees SET size = $5, "rootHash" = $6 WHERE "organizationId" = $1
  RETURNING EXISTS (SELECT 1 FROM erasures e WHERE e."organizationId" = $1 AND e."erasedAt" >= $7::timestamptz) AS "erasedSince"`;

const CHECKPOINT_COLUMNS = `"organizationId", "treeSize", "rootHash", note, "signedAt"`;

type CheckpointRow = { organizationId: string; treeSize: string; rootHash: Buffer; note: string; signedAt: Date };
const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({ ...r, treeSize: Number(r.treeSize) });

/**
 * The tamper-evident log's tables (`log_*`, docs/transparency.md): what the sealer appends and signs, and
 * what the log API reads. Every read names the organization.
 */
@Injectable()
export class TransparencyLogRepository {
  constructor(private readonly db: Database) {}

  /**
   * Appends to one organization's log in one transaction that holds its tree row locked: `plan` sees the
   * tree's head and which of `eventIds` (UUIDs) are already sealed, and returns what to write (or null: nothing).
   * A failure anywhere rolls the whole append back, so a crash leaves the log as it was.
   *
   * `assumeFresh` skips reading which ids are sealed (`sealed` is then empty): for a batch no delivery of
   * which was seen before, which is almost every batch. Exactly-once does not rest on that guess but on
   * log_leaves' unique ("organizationId", "eventId"): if an id was sealed after all (a replay published
   * anew, a concurrent sealer's copy), the write fails as a whole, rolls back, and the append runs again
   * reading the sealed ids, so `plan` may be called twice (its result is only kept once committed). The
   * read looked up each id in the same index the insert's uniqueness check probes again.
   */
  async append(
    organizationId: string,
    eventIds: readonly string[],
    plan: (context: AppendContext) => Promise<LogAppend | null>,
    assumeFresh = false,
  ): Promise<LogAppend | null> {
    if (assumeFresh) {
      try {
        return await this.appendOnce(organizationId, eventIds, plan, false);
      } catch (error) {
        if (!isSealedIdConflict(error)) throw error;
      }
    }
    return this.appendOnce(organizationId, eventIds, plan, true);
  }

  private async appendOnce(
    organizationId: string,
    eventIds: readonly string[],
    plan: (context: AppendContext) => Promise<LogAppend | null>,
    readSealed: boolean,
  ): Promise<LogAppend | null> {
    return this.db.transaction(async (sql) => {
      const locked = await sql.query<{ size: string; rootHash: Buffer }>(LOCK_TREE, [organizationId, EMPTY_ROOT]);
      const head = { size: Number(locked.rows[0].size), rootHash: locked.rows[0].rootHash };
      // Not one statement with the lock: a statement reads with the snapshot it took before waiting for the
      // row lock, so it would miss the leaves the sealer it waited for had just committed, and append them again.
      const sealed = readSealed
        ? (
            await sql.query<{ eventId: string }>(
              `SELECT "eventId" FROM log_leaves WHERE "organizationId" = $1 AND "eventId" = ANY(string_to_array($2, ',')::uuid[])`,
              [organizationId, eventIds.join(',')],
            )
          ).rows.map((r) => r.eventId)
        : [];
      const append = await plan({ head, sealed: new Set(sealed), sealedRead: readSealed, store: nodeStore(sql, organizationId) });
      if (append === null || append.leaves.length === 0) return null;
      const { leaves } = append;
      if (leaves.some((l, k) => l.leafIndex !== leaves[0].leafIndex + k)) throw new Error(`the leaves of an append to ${organizationId}'s log are not consecutive`);
      const interior = append.nodes.filter((n) => n.level > 0 && isStoredLevel(n.level));
      const withActor = leaves.filter((l) => l.actor !== undefined);
      await sql.copyFrom(COPY_LEAVES, leafCopyData(organizationId, leaves));
      const tree = await sql.query<{ erasedSince: boolean }>(WRITE_TREE, [
        organizationId,
        interior.map((n) => n.level).join(','),
        interior.map((n) => n.index).join(','),
        Buffer.concat(interior.map((n) => n.hash)),
        append.head.size,
        append.head.rootHash,
        earliestReceipt(withActor),
      ]);
      if (tree.rows[0].erasedSince) await eraseLeavesOfErased(sql, organizationId, withActor);
      return append;
    });
  }

  /** Organizations whose log has leaves no checkpoint covers and whose latest checkpoint is at least `minIntervalMs` old. */
  async dueForCheckpoint(minIntervalMs: number): Promise<string[]> {
    const { rows } = await this.db.query<{ organizationId: string }>(
      `SELECT "organizationId" FROM log_trees
       WHERE size > "sealedSize" AND ("sealedAt" IS NULL OR "sealedAt" <= now() - $1 * interval '1 millisecond')
       ORDER BY "organizationId"`,
      [minIntervalMs],
    );
    return rows.map((r) => r.organizationId);
  }

  /**
   * Signs and stores a checkpoint of the organization's current tree if it is still due (checked under the
   * tree's row lock, so replicas sign at most one per interval between them); null when not due.
   */
  async signCheckpoint(organizationId: string, minIntervalMs: number, sign: (head: LogTreeHead) => string): Promise<StoredCheckpoint | null> {
    return this.db.transaction(async (sql) => {
      const { rows } = await sql.query<{ size: string; rootHash: Buffer }>(
        `SELECT size, "rootHash" FROM log_trees
         WHERE "organizationId" = $1 AND size > "sealedSize" AND ("sealedAt" IS NULL OR "sealedAt" <= now() - $2 * interval '1 millisecond')
         FOR UPDATE`,
        [organizationId, minIntervalMs],
      );
      if (rows.length === 0) return null;
      const head = { size: Number(rows[0].size), rootHash: rows[0].rootHash };
      const note = sign(head);
      const inserted = await sql.query<CheckpointRow>(
        `WITH tree AS (UPDATE log_trees SET "sealedSize" = $2, "sealedAt" = now() WHERE "organizationId" = $1)
         INSERT INTO log_checkpoints ("organizationId", "treeSize", "rootHash", note, "signedAt") VALUES ($1, $2, $3, $4, now())
         RETURNING ${CHECKPOINT_COLUMNS}`,
        [organizationId, head.size, head.rootHash, note],
      );
      return toCheckpoint(inserted.rows[0]);
    });
  }

  /** Checkpoints not yet published on the bus, oldest first. */
  async unpublishedCheckpoints(limit: number): Promise<StoredCheckpoint[]> {
    const { rows } = await this.db.query<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE "publishedAt" IS NULL ORDER BY "signedAt", "organizationId", "treeSize" LIMIT $1`,
      [limit],
    );
    return rows.map(toCheckpoint);
  }

  async markPublished(organizationId: string, treeSize: number): Promise<void> {
    await this.db.query(`UPDATE log_checkpoints SET "publishedAt" = now() WHERE "organizationId" = $1 AND "treeSize" = $2`, [organizationId, treeSize]);
  }

  /** Records a verification key the first time it signs (kept for ever: old checkpoints stay verifiable). */
  async registerKey(verifierKey: string): Promise<void> {
    await this.db.query(`INSERT INTO log_keys ("verifierKey") VALUES ($1) ON CONFLICT DO NOTHING`, [verifierKey]);
  }

  async keys(): Promise<LogKey[]> {
    return this.db.read<LogKey>(`SELECT "verifierKey", "firstUsedAt" FROM log_keys ORDER BY "firstUsedAt", "verifierKey"`, []);
  }

  async latestCheckpoint(organizationId: string): Promise<StoredCheckpoint | undefined> {
    const rows = await this.db.read<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize" DESC LIMIT 1`,
      [organizationId],
    );
    return rows.map(toCheckpoint)[0];
  }

  async checkpointOfSize(organizationId: string, treeSize: number): Promise<StoredCheckpoint | undefined> {
    const rows = await this.db.read<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE "organizationId" = $1 AND "treeSize" = $2`, [
      organizationId,
      treeSize,
    ]);
    return rows.map(toCheckpoint)[0];
  }

  /** Checkpoints signed in [from, to), oldest first, at most `limit`. */
  async checkpoints(organizationId: string, window: { from?: Date; to?: Date }, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.db.read<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM log_checkpoints
       WHERE "organizationId" = $1 AND ($2::timestamptz IS NULL OR "signedAt" >= $2) AND ($3::timestamptz IS NULL OR "signedAt" < $3)
       ORDER BY "treeSize" LIMIT $4`,
      [organizationId, window.from ?? null, window.to ?? null, limit],
    );
    return rows.map(toCheckpoint);
  }

  /**
   * What an event's proof starts from, in one statement: the leaf sealed for the event of the organization
   * (if any) and the organization's latest checkpoint (if any).
   */
  async proofStart(organizationId: string, eventId: string): Promise<{ leaf?: StoredLogLeaf; latest?: StoredCheckpoint }> {
    type Row = { leafIndex: string | null; leaf: Buffer | null; salt: Buffer | null; user: AuditUserSnapshot | null; sealedAt: Date | null } & {
      [K in keyof CheckpointRow]: CheckpointRow[K] | null;
    };
    const [row] = await this.db.read<Row>(
      `SELECT l."leafIndex", ${LEAF_BYTES('l')} AS leaf, l.salt, l."user", l."sealedAt", c.*
       FROM (SELECT 1) AS one
       LEFT JOIN log_leaves l ON l."organizationId" = $1 AND l."eventId" = $2
       LEFT JOIN LATERAL (SELECT ${CHECKPOINT_COLUMNS} FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize" DESC LIMIT 1) c ON true`,
      [organizationId, eventId],
    );
    const { leafIndex, leaf, salt, user, sealedAt, organizationId: org, treeSize, rootHash, note, signedAt } = row;
    return {
      leaf: leafIndex === null || leaf === null || sealedAt === null ? undefined : { leafIndex: Number(leafIndex), leaf, salt, user, sealedAt },
      latest:
        org === null || treeSize === null || rootHash === null || note === null || signedAt === null
          ? undefined
          : toCheckpoint({ organizationId: org, treeSize, rootHash, note, signedAt }),
    };
  }

  /** Leaves before this index were purged by retention (0: none); consistency from a size below it is given up. */
  async purgedBefore(organizationId: string): Promise<number> {
    const rows = await this.db.read<{ purgedBefore: string }>(`SELECT "purgedBefore" FROM log_trees WHERE "organizationId" = $1`, [organizationId]);
    return Number(rows[0]?.purgedBefore ?? 0);
  }

  /** Organizations that have a log. */
  async organizations(): Promise<string[]> {
    const rows = await this.db.read<{ organizationId: string }>(`SELECT "organizationId" FROM log_trees ORDER BY "organizationId"`, []);
    return rows.map((r) => r.organizationId);
  }

  /**
   * After retention purged events: drops the longest prefix of leaves whose events are all gone from
   * `audit_trail_events`, and the subtree hashes no remaining proof needs, keeping the maximal complete
   * subtrees of that prefix (`retainedAfterPurge`, whatever their level; a lone leaf among them is kept as its hash, level 0)
   * so every remaining event's inclusion proof and every consistency proof from that size on still
   * work. Under the tree's lock; returns the new `purgedBefore` and how many leaves went.
   */
  async pruneAfterPurge(organizationId: string): Promise<{ purgedBefore: number; leaves: number }> {
    return this.db.transaction(
      async (sql) => {
        const tree = await sql.query<{ purgedBefore: string; size: string }>(
          `SELECT "purgedBefore", size FROM log_trees WHERE "organizationId" = $1 FOR UPDATE`,
          [organizationId],
        );
        if (tree.rows.length === 0) return { purgedBefore: 0, leaves: 0 };
        const from = Number(tree.rows[0].purgedBefore);
        // The first leaf whose event is still stored: the index walk stops there.
        const first = await sql.query<{ leafIndex: string }>(
          `SELECT l."leafIndex" FROM log_leaves l
           WHERE l."organizationId" = $1 AND l."leafIndex" >= $2
             AND EXISTS (SELECT 1 FROM audit_trail_events e WHERE e.id = l."eventId" AND e."organizationId" = l."organizationId")
           ORDER BY l."leafIndex" LIMIT 1`,
          [organizationId, from],
        );
        // Every event purged: the newest leaf stays, so the tree keeps a leaf to append after.
        const purgedBefore = first.rows.length > 0 ? Number(first.rows[0].leafIndex) : Math.max(from, Number(tree.rows[0].size) - 1);
        if (purgedBefore <= from) return { purgedBefore: from, leaves: 0 };
        const keep = retainedAfterPurge(purgedBefore);
        const levels = keep.map((n) => n.level);
        const indices = keep.map((n) => n.index);
        // The kept subtrees of unstored levels (and a lone leaf's hash) are recomputed now, while their leaves are still here.
        const hashes = await nodeStore(sql, organizationId).getNodes(keep);
        await sql.query(
          `INSERT INTO log_nodes ("organizationId", level, index, hash)
           SELECT $1, lv, ix, substring($4::bytea FROM ((k - 1) * 32 + 1)::int FOR 32)
           FROM unnest($2::smallint[], $3::bigint[]) WITH ORDINALITY AS t(lv, ix, k)
           ON CONFLICT DO NOTHING`,
          [organizationId, levels, indices, Buffer.concat(hashes)],
        );
        const deleted = await sql.query(`DELETE FROM log_leaves WHERE "organizationId" = $1 AND "leafIndex" >= $2 AND "leafIndex" < $3`, [
          organizationId,
          from,
          purgedBefore,
        ]);
        await sql.query(
          `DELETE FROM log_nodes WHERE "organizationId" = $1 AND (index + 1) * (2::bigint ^ level)::bigint <= $2
             AND (level, index) NOT IN (SELECT * FROM unnest($3::smallint[], $4::bigint[]))`,
          [organizationId, purgedBefore, levels, indices],
        );
        await sql.query(`UPDATE log_trees SET "purgedBefore" = $2 WHERE "organizationId" = $1`, [organizationId, purgedBefore]);
        return { purgedBefore, leaves: deleted.rowCount ?? 0 };
      },
      { timeout: false },
    );
  }

  /** The organization's subtree hashes, for proofs: each `getNodes` is one read of a few index ranges (`TiledHashStore`). */
  hashStore(organizationId: string): SubtreeHashStore {
    return tiledStore(organizationId, (text, params) => this.db.read<NodeRow>(text, params));
  }
}

type NodeRow = { level: number; index: string; hash: Buffer };

// COPY's binary format (PostgreSQL docs, "COPY", Binary Format): the signature, no flags, no header extension.
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const COPY_HEADER_BYTES = COPY_SIGNATURE.length + 8;
/** Per leaf row: the field count, ten field lengths, the bigint leaf index, the uuid and the salt; the rest varies. */
const COPY_ROW_FIXED_BYTES = 2 + 10 * 4 + 8 + 16 + 32;
/** What a leaf kept as its parts adds to the fixed bytes besides its action type: the commitment and the two timestamptz. */
const PARTS_FIXED_BYTES = 32 + 8 + 8;
/** jsonb's binary input: a version byte (1), then the JSON text. */
const JSONB_VERSION = 1;
/** timestamptz's binary form counts microseconds from 2000-01-01T00:00:00Z. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

// What log_leaf_bytes writes back exactly: members JSON writes as they are (no escapes), a lower-case UUID,
// and times of four-digit years (to_char's YYYY pads below 1000 differently from toISOString's).
const PLAIN_ACTION = /^[A-Za-z0-9_]+$/;
const PLAIN_ORGANIZATION = /^[A-Za-z0-9_-]+$/;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `log_leaf_bytes` gives the leaf of `parts` back byte for byte from the row (so the row may keep the parts alone). */
export function partsGiveLeaf(organizationId: string, eventId: string, parts: LeafParts): boolean {
  return (
    PLAIN_ORGANIZATION.test(organizationId) &&
    LOWER_UUID.test(eventId) &&
    PLAIN_ACTION.test(parts.actionType) &&
    parts.commitment.length === 32 &&
    fourDigitLeafTime(parts.createdAt) &&
    fourDigitLeafTime(parts.receivedAt)
  );
}

/** A time in the leaves' one form (`isLeafTime`) of a year from 1000 on. */
const fourDigitLeafTime = (time: string): boolean => time.charCodeAt(0) !== 0x30 && isLeafTime(time);

/** The earliest `receivedAt` of the leaves with a person, or null when none has one. */
function earliestReceipt(withActor: readonly NewLogLeaf[]): Date | null {
  let earliest = Infinity;
  for (const { actor } of withActor) if (actor !== undefined) earliest = Math.min(earliest, Date.parse(actor.receivedAt));
  return earliest === Infinity ? null : new Date(earliest);
}

async function eraseLeavesOfErased(sql: Sql, organizationId: string, withActor: readonly NewLogLeaf[]): Promise<void> {
  await sql.query(ERASE_LEAVES_OF_ERASED, [
    organizationId,
    withActor.map((l) => l.leafIndex),
    withActor.map((l) => l.actor?.userId),
    withActor.map((l) => l.actor?.receivedAt),
  ]);
}

/**
 * The leaves as COPY's binary input for COPY_LEAVES's columns, in one buffer: each field as the type's binary
 * form (text as UTF-8, bigint big-endian, uuid as its 16 bytes, bytea as is, jsonb as version 1 and the text,
 * timestamptz as microseconds since 2000, a null as SQL NULL). A leaf whose parts give it back goes as
 * them with a null `leaf`, any other as its bytes with null parts. Written here rather than as text so neither
 * side escapes or parses the bytes. Written byte by byte in JavaScript where the pieces are small (lengths,
 * the uuid, ASCII text): each call into Buffer's native writers cost more than the bytes it wrote, and this
 * runs for every sealed event.
 */
function leafCopyData(organizationId: string, leaves: readonly NewLogLeaf[]): Buffer {
  const org = Buffer.from(organizationId, 'utf8');
  const users: Array<string | null> = new Array(leaves.length);
  const asParts: Array<LeafParts | null> = new Array(leaves.length);
  let size = COPY_HEADER_BYTES + 2;
  for (let i = 0; i < leaves.length; i++) {
    const { user, leaf, salt, leafIndex, eventId, parts } = leaves[i];
    if (salt.length !== 32) throw new Error(`the salt of leaf ${leafIndex} has ${salt.length} bytes, not 32`);
    const json = user === null ? null : userJson(user);
    users[i] = json;
    const kept = parts !== undefined && partsGiveLeaf(organizationId, eventId, parts) ? parts : null;
    asParts[i] = kept;
    size += COPY_ROW_FIXED_BYTES + org.length + (kept === null ? leaf.length : kept.actionType.length + PARTS_FIXED_BYTES) + (json === null ? 0 : 1 + utf8Length(json));
  }
  const out = Buffer.allocUnsafe(size);
  out.set(COPY_SIGNATURE, 0);
  let at = COPY_SIGNATURE.length;
  at = int32(out, at, 0);
  at = int32(out, at, 0);
  for (let i = 0; i < leaves.length; i++) {
    const { leafIndex, eventId, leaf, salt } = leaves[i];
    const parts = asParts[i];
    out[at++] = 0;
    out[at++] = 10;
    at = int32(out, at, org.length);
    out.set(org, at);
    at += org.length;
    at = int32(out, at, 8);
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0) throw new Error(`leaf index ${leafIndex} is not a non-negative integer`);
    at = int32(out, at, Math.floor(leafIndex / 2 ** 32));
    at = int32(out, at, leafIndex >>> 0);
    at = int32(out, at, 16);
    at = writeUuid(out, eventId, at);
    if (parts === null) {
      at = int32(out, at, leaf.length);
      out.set(leaf, at);
      at += leaf.length;
    } else {
      at = int32(out, at, -1);
    }
    at = int32(out, at, 32);
    out.set(salt, at);
    at += 32;
    const json = users[i];
    if (json === null) {
      at = int32(out, at, -1);
    } else {
      const start = at + 5;
      const end = writeUtf8(out, json, start);
      at = int32(out, at, 1 + end - start);
      out[at++] = JSONB_VERSION;
      at = end;
    }
    if (parts === null) {
      for (let k = 0; k < 4; k++) at = int32(out, at, -1);
    } else {
      at = int32(out, at, parts.actionType.length);
      at = writeUtf8(out, parts.actionType, at);
      at = int32(out, at, 32);
      out.set(parts.commitment, at);
      at += 32;
      at = timestamptz(out, at, parts.createdAt);
      at = timestamptz(out, at, parts.receivedAt);
    }
  }
  out[at++] = 0xff;
  out[at++] = 0xff;
  if (at !== size) throw new Error(`COPY data of ${size} bytes expected, ${at} written`);
  return out;
}

/**
 * A timestamptz field (its length, then microseconds since 2000 as a big-endian int64) of a leaf time; the
 * offset after it. The int64 is written as two 32-bit halves of an exact double (every time of a year
 * before 2285 is one) rather than through a BigInt: two BigInts per time, two times per leaf, were work
 * for the garbage collector on every sealed event.
 */
function timestamptz(out: Buffer, at: number, iso: string): number {
  at = int32(out, at, 8);
  const micros = (Date.parse(iso) - PG_EPOCH_MS) * 1000;
  if (!Number.isSafeInteger(micros)) {
    out.writeBigInt64BE(BigInt(Date.parse(iso) - PG_EPOCH_MS) * 1000n, at);
    return at + 8;
  }
  // Floor division keeps the low half in [0, 2^32) for times before 2000 too: the high half is then the two's complement one.
  const high = Math.floor(micros / 2 ** 32);
  at = int32(out, at, high);
  return int32(out, at, micros - high * 2 ** 32);
}

/**
 * `JSON.stringify(user)`, written by hand for the usual snapshot (its two members, plain printable ASCII: nothing to
 * escape): JSON.stringify's fixed cost per call was most of the user's share of the COPY data.
 */
function userJson(user: AuditUserSnapshot): string {
  let members = 0;
  for (const key in user) if (Object.hasOwn(user, key)) members++;
  const { email, userName } = user;
  if (members === 2 && typeof email === 'string' && typeof userName === 'string' && plainAscii(email) && plainAscii(userName)) {
    return `{"email":"${email}","userName":"${userName}"}`;
  }
  return JSON.stringify(user);
}

/** Whether JSON writes `text` as it is between quotes: printable ASCII, no quote, no backslash. */
function plainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** A big-endian int32 at `at`; the offset after it. */
function int32(out: Buffer, at: number, value: number): number {
  out[at] = value >>> 24;
  out[at + 1] = value >>> 16;
  out[at + 2] = value >>> 8;
  out[at + 3] = value;
  return at + 4;
}

/** UTF-8 byte length of `text`: its length when all ASCII (a user snapshot almost always is). */
function utf8Length(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return text.length;
}

/** `text` as UTF-8 at `at` (ASCII copied in JavaScript, anything else by Buffer#write); the offset after it. */
function writeUtf8(out: Buffer, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return at - i + out.write(text, at - i, 'utf8');
    out[at++] = c;
  }
  return at;
}

/** Value of each hex digit's char code (0–9, a–f, A–F), -1 for any other. */
const HEX = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) {
  HEX['0123456789abcdef'.charCodeAt(d)] = d;
  HEX['0123456789ABCDEF'.charCodeAt(d)] = d;
}

/** A UUID's 16 bytes from its text (8-4-4-4-12 hex digits), written at `at`; the offset after them. */
function writeUuid(out: Buffer, id: string, at: number): number {
  if (id.length !== 36) throw new Error(`${JSON.stringify(id)} is not a UUID`);
  let bad = 0;
  let c = 0;
  for (let b = 0; b < 16; b++) {
    // The dashes sit before the 5th, 7th, 9th and 11th bytes.
    if (b === 4 || b === 6 || b === 8 || b === 10) bad |= id.charCodeAt(c++) ^ 0x2d;
    const hi = HEX[id.charCodeAt(c++) & 0x7f] | (id.charCodeAt(c - 1) & ~0x7f);
    const lo = HEX[id.charCodeAt(c++) & 0x7f] | (id.charCodeAt(c - 1) & ~0x7f);
    bad |= (hi | lo) & ~0xf;
    out[at + b] = (hi << 4) | lo;
  }
  if (bad !== 0) throw new Error(`${JSON.stringify(id)} is not a UUID`);
  return at + 16;
}

/** Postgres refused a leaf because its organization's log already holds that event id (unique_violation on log_leaves_event_key). */
function isSealedIdConflict(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'log_leaves_event_key';
}

// Every stored subtree in the spans: interior ones from log_nodes; leaves (level 0) hashed from their bytes, RFC 9162's
// SHA-256(0x00 ‖ leaf), or, for a leaf a retention purge removed and whose hash proofs still need, from log_nodes at
// level 0. One index range scan per span, and a proof asks for about one tile of 16 per stored level. The `LIMIT`
// (never reached: no span is wider, see MAX_SPAN_WIDTH) keeps each LATERAL subquery from being pulled up into a
// join, which the planner, not knowing the spans are narrow, hashed against a sequential scan of the whole of
// log_nodes (31 ms instead of 0.5 ms at a million leaves); and it bounds the plan's cost, which at 10M leaves
// otherwise passed the JIT threshold (about 16 ms of compiling for a 0.5 ms read).
const SPANS = `
  WITH spans AS (SELECT * FROM unnest($2::smallint[], $3::bigint[], $4::bigint[]) AS s(level, lo, hi))
  SELECT n.level, n.index, n.hash FROM spans s, LATERAL (
    SELECT level, index, hash FROM log_nodes WHERE "organizationId" = $1 AND level = s.level AND index >= s.lo AND index < s.hi LIMIT ${MAX_SPAN_WIDTH}
  ) n
  UNION ALL
  SELECT 0::smallint, l."leafIndex", l.hash FROM spans s, LATERAL (
    SELECT lv."leafIndex", sha256('\\x00'::bytea || ${LEAF_BYTES('lv')}) AS hash FROM log_leaves lv
    WHERE lv."organizationId" = $1 AND lv."leafIndex" >= s.lo AND lv."leafIndex" < s.hi LIMIT ${MAX_SPAN_WIDTH}
  ) l
  WHERE s.level = 0`;

/** The organization's subtree hashes read with `read` (the pool, or the transaction holding the log's lock). */
function tiledStore(organizationId: string, read: (text: string, params: unknown[]) => Promise<NodeRow[]>): SubtreeHashStore {
  return new TiledHashStore({
    readSpans: async (spans: readonly NodeSpan[]) => {
      const rows = await read(SPANS, [organizationId, spans.map((s) => s.level), spans.map((s) => s.from), spans.map((s) => s.to)]);
      return rows.map((r) => ({ level: r.level, index: Number(r.index), hash: r.hash }));
    },
  });
}

function nodeStore(sql: Sql, organizationId: string): SubtreeHashStore {
  return tiledStore(organizationId, async (text, params) => (await sql.query<NodeRow>(text, params)).rows);
}
