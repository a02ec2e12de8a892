import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The system of record. Column names are quoted camelCase so the reference's SQL runs verbatim.
 * Events are range-partitioned by month on "createdAt"; the default partition takes any date that
 * has no partition yet, so no event is ever refused for its timestamp.
 */
export class InitialSchema1764374400000 implements MigrationInterface {
  name = 'InitialSchema1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_trail_events (
        id uuid NOT NULL,
        "organizationId" text NOT NULL,
        "actionType" text NOT NULL,
        "userId" text NULL,
        "ipAddress" text NULL,
        "responseTimeMs" integer NULL,
        "pageName" text NULL,
        "queryName" text NULL,
        "resourceName" text NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        "createdAt" timestamptz NOT NULL,
        "receivedAt" timestamptz NOT NULL,
        CONSTRAINT audit_trail_events_pkey PRIMARY KEY (id, "createdAt")
      ) PARTITION BY RANGE ("createdAt")`);
    await q.query(`CREATE TABLE audit_trail_events_default PARTITION OF audit_trail_events DEFAULT`);
    // Keyset pages per organization, newest first, alone or narrowed by action type or user.
    await q.query(`CREATE INDEX audit_trail_events_org_time_idx ON audit_trail_events ("organizationId", "createdAt" DESC, id DESC)`);
    await q.query(
      `CREATE INDEX audit_trail_events_org_action_time_idx ON audit_trail_events ("organizationId", "actionType", "createdAt" DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_trail_events_org_user_time_idx ON audit_trail_events ("organizationId", "userId", "createdAt" DESC, id DESC)`,
    );

    await q.query(`
      CREATE TABLE users (
        id text PRIMARY KEY,
        email text NULL,
        "userName" text NULL,
        "organizationId" text NOT NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX users_org_idx ON users ("organizationId")`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        name text NOT NULL,
        "keyPrefix" text NOT NULL,
        "keyHash" text NOT NULL UNIQUE,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "revokedAt" timestamptz NULL
      )`);
    await q.query(`CREATE INDEX api_keys_org_idx ON api_keys ("organizationId")`);

    await q.query(`
      CREATE TABLE redaction_rules (
        "organizationId" text NOT NULL,
        "queryName" text NOT NULL,
        kind text NOT NULL DEFAULT 'hide_parameters',
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("organizationId", "queryName")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE redaction_rules`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE audit_trail_events`);
  }
}
