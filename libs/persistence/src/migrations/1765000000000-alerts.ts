import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Saved searches and alerts (libs/alerts). An alert watches a saved search (`savedSearchId`, which then
 * cannot be deleted) or an inline query; its webhook secret is sealed in `secret` (the streams' SecretBox,
 * the alert id bound as associated data). `evaluatedUntil` is the end of the last minute evaluated, so a
 * restarted evaluator resumes at the next minute; `firedUntil` the end of the last window that fired (the
 * alert stays quiet until that window has passed). `alert_firings` holds one row per alert and window
 * (UNIQUE), with the recording and the webhook delivery's state, retried until delivered or given up.
 */
export class Alerts1765000000000 implements MigrationInterface {
  name = 'Alerts1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saved_searches (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        name text NOT NULL,
        query text NOT NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now(),
        UNIQUE ("organizationId", name)
      )`);
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        name text NOT NULL,
        "savedSearchId" uuid NULL REFERENCES saved_searches (id) ON DELETE RESTRICT,
        query text NULL,
        condition jsonb NOT NULL,
        "webhookUrl" text NOT NULL,
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        "evaluatedUntil" timestamptz NOT NULL,
        "firedUntil" timestamptz NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now(),
        UNIQUE ("organizationId", name),
        CHECK (("savedSearchId" IS NULL) <> (query IS NULL))
      )`);
    await q.query(`CREATE INDEX alerts_due_idx ON alerts ("evaluatedUntil") WHERE enabled`);
    await q.query(`
      CREATE TABLE alert_firings (
        id uuid PRIMARY KEY,
        "alertId" uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
        "organizationId" text NOT NULL,
        "alertName" text NOT NULL,
        search text NOT NULL,
        "windowFrom" timestamptz NOT NULL,
        "windowTo" timestamptz NOT NULL,
        groups jsonb NOT NULL,
        "firedAt" timestamptz NOT NULL,
        "recordedAt" timestamptz NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        "lastError" text NULL,
        "nextAttemptAt" timestamptz NOT NULL,
        "deliveredAt" timestamptz NULL,
        UNIQUE ("alertId", "windowTo")
      )`);
    await q.query(`CREATE INDEX alert_firings_org_idx ON alert_firings ("organizationId", "firedAt" DESC)`);
    await q.query(`CREATE INDEX alert_firings_pending_idx ON alert_firings ("nextAttemptAt") WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert_firings`);
    await q.query(`DROP TABLE alerts`);
    await q.query(`DROP TABLE saved_searches`);
  }
}
