import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exports' format `bundle` (verifiable). `log_trees."purgedBefore"`: the first leaf the log still holds once retention purged a prefix of it
 * (the hashes of that prefix stay in `log_nodes`, level 0 included, so the remaining events stay
 * provable). `erasures`: every erasure of a person's data, by whom and how many events it emptied.
 */
export class LogPurgeAndErasures1764950000000 implements MigrationInterface {
  name = 'LogPurgeAndErasures1764950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE log_trees ADD COLUMN "purgedBefore" bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE erasures (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        "userId" text NOT NULL,
        "requestedBy" text NOT NULL,
        events bigint NOT NULL,
        "erasedAt" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX erasures_org_time ON erasures ("organizationId", "erasedAt" DESC)`);
    // Exports gain the verifiable form (JSON lines with each event's leaf and the inclusion proof).
    await q.query(`ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_format_check`);
    await q.query(`ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_format_check CHECK (format IN ('csv', 'jsonl', 'bundle'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_jobs DROP CONSTRAINT export_jobs_format_check`);
    await q.query(`ALTER TABLE export_jobs ADD CONSTRAINT export_jobs_format_check CHECK (format IN ('csv', 'jsonl'))`);
    await q.query(`DROP TABLE erasures`);
    await q.query(`ALTER TABLE log_trees DROP COLUMN "purgedBefore"`);
  }
}
