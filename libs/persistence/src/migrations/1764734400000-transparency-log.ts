import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tamper-evident log (docs/transparency.md): one RFC 9162 Merkle tree per organization, written by the
 * sealer only.
 *
 * - `log_trees`: one row per organization, its size and root; the row lock of this row is what makes one
 *   sealer at a time append to (or sign) an organization's log. `sealedSize`/`sealedAt` are its latest checkpoint.
 * - `log_leaves`: one row per sealed event, keyed by leaf index and unique by event id (an event is appended
 *   once, for all time). `leaf` is the exact leaf bytes (JCS); `salt` and `user` are what the commitment covers
 *   that the events table does not keep per event: erasure sets both to null, the leaf stays.
 * - `log_nodes`: the hash of every complete interior subtree (level ≥ 1), written once, never changed; a
 *   leaf's own hash is computed from `log_leaves.leaf` when a proof needs it (one row per event less to
 *   write). A proof is one indexed read of at most 2·log2(n) rows.
 * - `log_checkpoints`: every signed checkpoint (a C2SP signed note); `publishedAt` stays null until it is on
 *   the bus (`audit.checkpoints.<org>`), so a checkpoint signed while the bus was down is published later.
 * - `log_keys`: every verification key that ever signed, so checkpoints stay verifiable across rotations.
 */
export class TransparencyLog1764734400000 implements MigrationInterface {
  name = 'TransparencyLog1764734400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE log_trees (
        "organizationId" text PRIMARY KEY,
        size bigint NOT NULL CHECK (size >= 0),
        "rootHash" bytea NOT NULL CHECK (length("rootHash") = 32),
        "sealedSize" bigint NOT NULL DEFAULT 0,
        "sealedAt" timestamptz
      )`);
    await q.query(`
      CREATE TABLE log_leaves (
        "organizationId" text NOT NULL,
        "leafIndex" bigint NOT NULL CHECK ("leafIndex" >= 0),
        "eventId" uuid NOT NULL,
        leaf bytea NOT NULL,
        salt bytea CHECK (salt IS NULL OR length(salt) = 32),
        "user" jsonb,
        "sealedAt" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT log_leaves_pkey PRIMARY KEY ("organizationId", "leafIndex"),
        CONSTRAINT log_leaves_event_key UNIQUE ("organizationId", "eventId")
      )`);
    await q.query(`
      CREATE TABLE log_nodes (
        "organizationId" text NOT NULL,
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        index bigint NOT NULL CHECK (index >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        CONSTRAINT log_nodes_pkey PRIMARY KEY ("organizationId", level, index)
      )`);
    await q.query(`
      CREATE TABLE log_checkpoints (
        "organizationId" text NOT NULL,
        "treeSize" bigint NOT NULL CHECK ("treeSize" > 0),
        "rootHash" bytea NOT NULL CHECK (length("rootHash") = 32),
        note text NOT NULL,
        "signedAt" timestamptz NOT NULL DEFAULT now(),
        "publishedAt" timestamptz,
        CONSTRAINT log_checkpoints_pkey PRIMARY KEY ("organizationId", "treeSize")
      )`);
    await q.query(`CREATE INDEX log_checkpoints_signed ON log_checkpoints ("organizationId", "signedAt")`);
    await q.query(`CREATE INDEX log_checkpoints_unpublished ON log_checkpoints ("signedAt") WHERE "publishedAt" IS NULL`);
    await q.query(`
      CREATE TABLE log_keys (
        "verifierKey" text PRIMARY KEY,
        "firstUsedAt" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE log_keys, log_checkpoints, log_nodes, log_leaves, log_trees`);
  }
}
