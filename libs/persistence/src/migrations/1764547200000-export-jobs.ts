import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * CSV export jobs. Workers claim `pending` rows (and `running` rows whose heartbeat went stale: the worker
 * died) with `FOR UPDATE SKIP LOCKED`; `attempts` bounds how often a job is tried. A ready job's file lives
 * at `storageKey` until `expiresAt`, when it is removed and the job marked `expired`.
 */
export class ExportJobs1764547200000 implements MigrationInterface {
  name = 'ExportJobs1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE export_jobs (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        "requestedBy" text NULL,
        filters jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'running', 'ready', 'failed', 'expired')),
        "rowCount" bigint NOT NULL DEFAULT 0,
        "totalRows" bigint NULL,
        "sizeBytes" bigint NULL,
        progress real NOT NULL DEFAULT 0,
        "storageKey" text NULL,
        error text NULL,
        attempts integer NOT NULL DEFAULT 0,
        "lockedBy" text NULL,
        "heartbeatAt" timestamptz NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "startedAt" timestamptz NULL,
        "finishedAt" timestamptz NULL,
        "expiresAt" timestamptz NULL
      )`);
    // The Downloads list: one organization's jobs, newest first.
    await q.query(`CREATE INDEX export_jobs_org_created_idx ON export_jobs ("organizationId", "createdAt" DESC)`);
    // Workers look for claimable jobs and the sweeper for files past their keep time; both are small partial indexes.
    await q.query(`CREATE INDEX export_jobs_claimable_idx ON export_jobs ("createdAt") WHERE status IN ('pending', 'running')`);
    await q.query(`CREATE INDEX export_jobs_ready_expiry_idx ON export_jobs ("expiresAt") WHERE status = 'ready'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE export_jobs`);
  }
}
