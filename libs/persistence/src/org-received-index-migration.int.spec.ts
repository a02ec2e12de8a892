import { Logger } from '@nestjs/common';
import { createTestDatabase, type TestDatabase } from '@audit/testing';
import { createDataSource, runMigrations } from './database';
import { MIGRATIONS } from './migrations';
import { EventsByOrganizationReceived1765120000000 } from './migrations/1765120000000-events-by-organization-received';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

/** Each partition's index of the parent's ("organizationId", "receivedAt") index, and whether the parent's is valid. */
async function indexes(db: TestDatabase): Promise<{ parentValid: boolean; partitions: string[] }> {
  const [parent] = await db.query<{ valid: boolean }>(`SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'audit_trail_events_org_received_idx'::regclass`);
  const children = await db.query<{ partition: string }>(
    `SELECT t.relname AS partition FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE i.inhparent = 'audit_trail_events_org_received_idx'::regclass AND x.indisvalid ORDER BY 1`,
  );
  return { parentValid: parent.valid, partitions: children.map((c) => c.partition) };
}

/**
 * The search tail's index is built partition by partition, CONCURRENTLY, outside a transaction, on a table
 * that already holds events: every partition ends with a valid index attached to the parent's, one left
 * over by an interrupted run is taken as it is, and partitions created afterwards get theirs with the table.
 */
describe('the (organization, receivedAt) index of a populated events table (real Postgres)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_org_received');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('indexes every partition, attaches them all and leaves the parent index valid', async () => {
    const before = createDataSource(db.url, 2, MIGRATIONS.slice(0, MIGRATIONS.indexOf(EventsByOrganizationReceived1765120000000)));
    await before.initialize();
    await runMigrations(before);
    await before.destroy();
    await db.query(`CREATE TABLE audit_trail_events_y2026m05 PARTITION OF audit_trail_events FOR VALUES FROM ('2026-05-01') TO ('2026-06-01')`);
    await db.query(`CREATE TABLE audit_trail_events_y2026m06 PARTITION OF audit_trail_events FOR VALUES FROM ('2026-06-01') TO ('2026-07-01')`);
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
       SELECT gen_random_uuid(), 'org_' || (n % 3), 'LOGIN', t, t + interval '1 second'
       FROM generate_series(1, 3000) n, LATERAL (SELECT timestamptz '2026-05-20' + n * interval '10 minutes' AS t) x`,
    );
    // What a run stopped after its first partition leaves behind: that partition's index, not yet attached.
    await db.query(`CREATE INDEX audit_trail_events_y2026m05_org_received_idx ON audit_trail_events_y2026m05 ("organizationId", "receivedAt")`);

    const after = createDataSource(db.url, 2);
    await after.initialize();
    expect(await runMigrations(after)).toEqual(['EventsByOrganizationReceived1765120000000']);
    await after.destroy();

    expect(await indexes(db)).toEqual({ parentValid: true, partitions: ['audit_trail_events_default', 'audit_trail_events_y2026m05', 'audit_trail_events_y2026m06'] });
    await db.query(`CREATE TABLE audit_trail_events_y2026m07 PARTITION OF audit_trail_events FOR VALUES FROM ('2026-07-01') TO ('2026-08-01')`);
    expect((await indexes(db)).partitions).toContain('audit_trail_events_y2026m07');
  });
});
