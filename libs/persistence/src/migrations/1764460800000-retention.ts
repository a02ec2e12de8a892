import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention: one row per organization that overrides the global default (`days`, NULL = use
 * `AUDIT_RETENTION_DAYS`, 0 = keep forever) or is under legal hold (`holdReason` set), and the
 * record of every purge the retention service performed or, in a dry run, would have performed.
 */
export class Retention1764460800000 implements MigrationInterface {
  name = 'Retention1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE retention_policies (
        "organizationId" text PRIMARY KEY,
        days integer NULL CHECK (days >= 0),
        "holdReason" text NULL,
        "heldAt" timestamptz NULL,
        "heldBy" text NULL,
        "updatedAt" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE retention_runs (
        id bigserial PRIMARY KEY,
        "runId" uuid NOT NULL,
        action text NOT NULL,
        store text NOT NULL,
        "organizationId" text NULL,
        target text NULL,
        rows bigint NOT NULL DEFAULT 0,
        cutoff timestamptz NULL,
        "dryRun" boolean NOT NULL,
        "startedAt" timestamptz NOT NULL,
        "finishedAt" timestamptz NOT NULL,
        ok boolean NOT NULL,
        error text NULL
      )`);
    await q.query(`CREATE INDEX retention_runs_started_idx ON retention_runs ("startedAt" DESC)`);
    await q.query(`CREATE INDEX retention_runs_org_idx ON retention_runs ("organizationId", "startedAt" DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE retention_runs`);
    await q.query(`DROP TABLE retention_policies`);
  }
}
