import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sealed leaf is kept as its parts rather than its ~310 bytes of JSON: the leaf (v1) is the JCS text of
 * `{actionType, commitment, createdAt, id, organizationId, receivedAt, v: 1}`, and the row already holds the
 * id and the organization, so only the action type, the 32-byte commitment and the two times are added
 * (about 70 bytes instead of 310, the log's largest cost per event in storage and WAL).
 *
 * `log_leaf_bytes` rebuilds the exact leaf bytes from the parts; every reader of a leaf goes through it. A row
 * written before this migration (or one whose parts would not give its bytes back, see the repository) keeps
 * its `leaf` bytes, which the function returns as they are: old leaves, and every proof through them, stay
 * verifiable unchanged. No existing row is rewritten.
 */
export class LogLeafColumns1765100000000 implements MigrationInterface {
  name = 'LogLeafColumns1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE log_leaves
        ALTER COLUMN leaf DROP NOT NULL,
        ADD COLUMN "actionType" text,
        ADD COLUMN commitment bytea CHECK (commitment IS NULL OR length(commitment) = 32),
        ADD COLUMN "createdAt" timestamptz,
        ADD COLUMN "receivedAt" timestamptz`);
    // NOT VALID then VALIDATE: the check of the existing rows does not block the sealer's appends.
    await q.query(`
      ALTER TABLE log_leaves ADD CONSTRAINT log_leaves_leaf_present
        CHECK (leaf IS NOT NULL OR ("actionType" IS NOT NULL AND commitment IS NOT NULL AND "createdAt" IS NOT NULL AND "receivedAt" IS NOT NULL))
        NOT VALID`);
    await q.query(`ALTER TABLE log_leaves VALIDATE CONSTRAINT log_leaves_leaf_present`);
    // The times as toISOString writes them (UTC, milliseconds); the other members need no escaping (the
    // repository stores parts only for leaves whose text is exactly this). A simple SQL function: inlined.
    await q.query(`
      CREATE FUNCTION log_leaf_bytes(leaf bytea, "organizationId" text, "eventId" uuid, "actionType" text, commitment bytea, "createdAt" timestamptz, "receivedAt" timestamptz)
      RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT coalesce(leaf, convert_to(
          '{"actionType":"' || "actionType" ||
          '","commitment":"' || encode(commitment, 'base64') ||
          '","createdAt":"' || to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
          '","id":"' || "eventId"::text ||
          '","organizationId":"' || "organizationId" ||
          '","receivedAt":"' || to_char("receivedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
          '","v":1}', 'UTF8'))
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE log_leaves SET leaf = log_leaf_bytes(leaf, "organizationId", "eventId", "actionType", commitment, "createdAt", "receivedAt") WHERE leaf IS NULL`,
    );
    await q.query(`DROP FUNCTION log_leaf_bytes`);
    await q.query(`
      ALTER TABLE log_leaves
        DROP CONSTRAINT log_leaves_leaf_present,
        DROP COLUMN "actionType",
        DROP COLUMN commitment,
        DROP COLUMN "createdAt",
        DROP COLUMN "receivedAt",
        ALTER COLUMN leaf SET NOT NULL`);
  }
}
