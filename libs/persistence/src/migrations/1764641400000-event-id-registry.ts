import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An event id is used once per organization, for all time.
 *
 * The events table's key had to include "createdAt" (a partitioned table's unique keys contain the
 * partition key), so an id resent with another "createdAt" (an emitter retrying after the bus's dedup
 * window without its own timestamp, which then defaults to the time of receipt) became a second row,
 * and an id was unique across organizations, so one organization's event silently shadowed another's.
 *
 * `audit_event_ids` is the registry of used ids: not partitioned, keyed by ("organizationId", id), and
 * never purged (retention drops events, not their ids), so a resend of an id is recognised whenever it
 * comes. The writer claims the id and inserts the event in one statement. The events table's key now
 * holds the organization, so two organizations may each use an id.
 */
export class EventIdRegistry1764641400000 implements MigrationInterface {
  name = 'EventIdRegistry1764641400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_event_ids (
        "organizationId" text NOT NULL,
        id uuid NOT NULL,
        "createdAt" timestamptz NOT NULL,
        CONSTRAINT audit_event_ids_pkey PRIMARY KEY ("organizationId", id)
      )`);
    // No writer may add an event between the backfill and the end of this transaction, or its id would
    // be missing from the registry (SHARE ROW EXCLUSIVE still lets readers through).
    await q.query(`LOCK TABLE audit_trail_events IN SHARE ROW EXCLUSIVE MODE`);
    // Rows stored twice under the old key stay as they are (an audit log does not delete what it
    // accepted); the registry records the earliest, and no third copy can be added.
    await q.query(`
      INSERT INTO audit_event_ids ("organizationId", id, "createdAt")
      SELECT DISTINCT ON ("organizationId", id) "organizationId", id, "createdAt"
      FROM audit_trail_events
      ORDER BY "organizationId", id, "createdAt"`);
    await q.query(`ALTER TABLE audit_trail_events DROP CONSTRAINT audit_trail_events_pkey`);
    await q.query(`ALTER TABLE audit_trail_events ADD CONSTRAINT audit_trail_events_pkey PRIMARY KEY (id, "organizationId", "createdAt")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_trail_events DROP CONSTRAINT audit_trail_events_pkey`);
    await q.query(`ALTER TABLE audit_trail_events ADD CONSTRAINT audit_trail_events_pkey PRIMARY KEY (id, "createdAt")`);
    await q.query(`DROP TABLE audit_event_ids`);
  }
}
