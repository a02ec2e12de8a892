import { Logger } from '@nestjs/common';
import { canonicalEvent } from '@audit/testing';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { AuditEventsWriteRepository } from './audit-events.repository';
import type { Database } from './database';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

/** The reference's SQL, character for character as the README shows it. */
const REFERENCE_SQL = `select u.email, u."userName", a."actionType", a.metadata
from audit_trail_events a join users u on a."userId" = u.id
where a."actionType" = 'CREATE_GROUP';`;

describe("the reference's SQL on users scoped by organization (real Postgres)", () => {
  let db: MigratedTestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_reference_sql');
    database = db.database;
  });

  afterAll(async () => {
    await db?.close();
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
