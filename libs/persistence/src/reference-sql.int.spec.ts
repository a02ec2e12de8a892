import { Logger } from '@nestjs/common';
import { HealthRegistry } from '@audit/platform';
import { canonicalEvent, createTestDatabase, type TestDatabase } from '@audit/testing';
import { AuditEventsWriteRepository } from './audit-events.repository';
import { readPersistenceConfig } from './config';
import { Database } from './database';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

/** The reference's SQL, character for character as the README shows it. */
const REFERENCE_SQL = `select u.email, u."userName", a."actionType", a.metadata
from audit_trail_events a join users u on a."userId" = u.id
where a."actionType" = 'CREATE_GROUP';`;

describe("the reference's SQL on users scoped by organization (real Postgres)", () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_reference_sql');
    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await database.onModuleInit();
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('runs verbatim and returns each event with its user when user ids do not collide', async () => {
    const group = (org: string, userId: string, email: string, name: string) =>
      canonicalEvent({ organizationId: org, actionType: 'CREATE_GROUP', userId, user: { email, userName: email.split('@')[0] }, metadata: { group: name } });
    const writer = new AuditEventsWriteRepository(database);
    await writer.writeBatch([
      group('acme_r', 'u-ada', 'ada@acme.io', 'admins'),
      group('globex_r', 'u-bob', 'bob@globex.io', 'ops'),
      canonicalEvent({ organizationId: 'acme_r', actionType: 'LOGIN', userId: 'u-ada', user: { email: 'ada@acme.io', userName: 'ada' } }),
    ]);
    const rows = await db.query<Record<string, unknown>>(REFERENCE_SQL);
    expect(rows.sort((a, b) => String(a.email).localeCompare(String(b.email)))).toEqual([
      { email: 'ada@acme.io', userName: 'ada', actionType: 'CREATE_GROUP', metadata: { group: 'admins' } },
      { email: 'bob@globex.io', userName: 'bob', actionType: 'CREATE_GROUP', metadata: { group: 'ops' } },
    ]);
  });
});
