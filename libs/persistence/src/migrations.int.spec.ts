import { Logger } from '@nestjs/common';
import { HealthRegistry } from '@audit/platform';
import { canonicalEvent, createTestDatabase, type TestDatabase } from '@audit/testing';
import { AuditEventsWriteRepository } from './audit-events.repository';
import { readPersistenceConfig } from './config';
import { createDataSource, Database, runMigrations } from './database';
import { EventIdRegistry1764641400000 } from './migrations/1764641400000-event-id-registry';
import { MIGRATIONS } from './migrations';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

/**
 * A database written under the old keys (events by (id, "createdAt"), users by id) upgraded in place:
 * the registry learns every id already stored, so resends of old events stay out, and the new keys
 * let other organizations use the same event and user ids.
 */
describe('migrating a populated database to ids and users per organization (real Postgres)', () => {
  let db: TestDatabase;
  let database: Database | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_migrate');
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('backfills the registry from the stored events and rekeys events and users', async () => {
    const before = createDataSource(db.url, 2, MIGRATIONS.slice(0, MIGRATIONS.indexOf(EventIdRegistry1764641400000)));
    await before.initialize();
    await runMigrations(before);
    await before.destroy();

    const x = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', userId: 'u1', createdAt: '2026-01-01T00:00:00Z' });
    const y = canonicalEvent({ organizationId: 'org_b', actionType: 'LOGIN', createdAt: '2026-01-02T00:00:00Z' });
    const row = (e: typeof x, createdAt: string) => [e.id, e.organizationId, e.actionType, createdAt];
    // x twice, as the old key allowed after a late resend.
    for (const values of [row(x, '2026-01-01T00:00:00Z'), row(x, '2026-03-01T00:00:00Z'), row(y, '2026-01-02T00:00:00Z')]) {
      await db.query(`INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt") VALUES ($1, $2, $3, $4, $4)`, values);
    }
    await db.query(`INSERT INTO users (id, email, "userName", "organizationId") VALUES ('u1', 'ada@a.io', 'Ada', 'org_a')`);

    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await database.onModuleInit();
    const writer = new AuditEventsWriteRepository(database);

    expect(await db.query(`SELECT "organizationId", id, "createdAt" FROM audit_event_ids ORDER BY "organizationId"`)).toEqual([
      { organizationId: 'org_a', id: x.id, createdAt: new Date('2026-01-01T00:00:00Z') },
      { organizationId: 'org_b', id: y.id, createdAt: new Date('2026-01-02T00:00:00Z') },
    ]);
    // Nothing the old schema held is lost, and an old id resent once more is not stored again.
    expect(await writer.writeBatch([{ ...x, createdAt: '2026-06-01T00:00:00.000Z' }])).toBe(0);
    expect(await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events')).toEqual([{ n: 3 }]);
    // Another organization's use of x's id and of user u1 is its own.
    expect(await writer.writeBatch([{ ...x, organizationId: 'org_b', user: { email: 'bob@b.io', userName: 'Bob' } }])).toBe(1);
    expect(await db.query(`SELECT "organizationId", email FROM users WHERE id = 'u1' ORDER BY 1`)).toEqual([
      { organizationId: 'org_a', email: 'ada@a.io' },
      { organizationId: 'org_b', email: 'bob@b.io' },
    ]);
  });
});

/**
 * Replicas (or CLI commands) starting at once on a new database: one migrates, the others wait for its lock.
 * A waiter blocked inside `pg_advisory_lock` held a snapshot that the CONCURRENTLY index build of a
 * migration waited for, while the waiter waited for the builder's lock: both hung, unseen by Postgres's
 * deadlock detector.
 */
describe('several processes migrating one new database at once (real Postgres)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_migrate_together');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('all finish: one applies every migration, the others find nothing left', async () => {
    const sources = [1, 2, 3].map(() => createDataSource(db.url, 2, MIGRATIONS));
    await Promise.all(sources.map((s) => s.initialize()));
    try {
      const applied = await Promise.all(sources.map((s) => runMigrations(s)));
      expect(applied.map((names) => names.length).sort((a, b) => a - b)).toEqual([0, 0, MIGRATIONS.length]);
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
    }
  });
});
