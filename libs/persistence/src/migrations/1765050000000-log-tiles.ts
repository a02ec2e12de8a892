import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `log_nodes` keeps the complete subtrees of every 4th level only (levels 4, 8, 12, …: C2SP tlog-tiles style
 * tiles of 16 hashes; `isStoredLevel` in libs/transparency), and proofs recompute the levels between from the
 * stored level below (leaves: from `log_leaves`). The sealer then writes about one row per 15 events instead
 * of one per event.
 *
 * Existing logs are converted by dropping the subtrees of the other levels, except those that start inside a
 * prefix retention already purged: there the leaves and tiles under them are gone, so those subtrees (the
 * purged prefix's maximal ones, and the ones straddling its end) are what proofs of the remaining leaves read.
 * Every hash dropped is recomputable from what stays: nothing is lost. The 4 is written out rather than read
 * from `TILE_HEIGHT`: what this migration did must not change if the constant ever does (that is a new migration).
 */
export class LogTiles1765050000000 implements MigrationInterface {
  name = 'LogTiles1765050000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM log_nodes n USING log_trees t
      WHERE t."organizationId" = n."organizationId" AND n.level % 4 <> 0
        AND n.index * (2::numeric ^ n.level) >= t."purgedBefore"`);
  }

  /**
   * Puts back the subtrees of the unstored levels past each purged prefix, level by level from the stored ones
   * (a level's parents from its children), which is what the code before this migration reads.
   */
  async down(q: QueryRunner): Promise<void> {
    for (let level = 1; level < 64; level++) {
      if (level % 4 === 0) continue;
      const children =
        level === 1
          ? `SELECT l."organizationId", l."leafIndex" AS index, sha256('\\x00'::bytea || l.leaf) AS hash FROM log_leaves l
             UNION ALL SELECT "organizationId", index, hash FROM log_nodes WHERE level = 0`
          : `SELECT "organizationId", index, hash FROM log_nodes WHERE level = ${level - 1}`;
      await q.query(
        `INSERT INTO log_nodes ("organizationId", level, index, hash)
         SELECT a."organizationId", ${level}, a.index / 2, sha256('\\x01'::bytea || a.hash || b.hash)
         FROM (${children}) a JOIN (${children}) b ON b."organizationId" = a."organizationId" AND b.index = a.index + 1
         WHERE a.index % 2 = 0
         ON CONFLICT DO NOTHING`,
      );
    }
  }
}
