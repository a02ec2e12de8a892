import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An export is a gzip'd CSV (as before: the default) or JSON lines, one event object per line. */
export class ExportFormat1764800000000 implements MigrationInterface {
  name = 'ExportFormat1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_jobs ADD COLUMN format text NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'jsonl'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE export_jobs DROP COLUMN format`);
  }
}
