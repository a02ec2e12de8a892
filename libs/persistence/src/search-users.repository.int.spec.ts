import { Logger } from '@nestjs/common';
import { lookupKey, parseSearch } from '@audit/search';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import type { Database } from './database';
import { SearchUsersRepository } from './search-users.repository';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

/**
 * `user:` by e-mail, as a search resolves it for ClickHouse: case-insensitive, the organization's users only,
 * and answered from users_org_email_idx rather than by reading every organization's users.
 */
describe('SearchUsersRepository, user: by e-mail (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;
  let users: SearchUsersRepository;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_search_users');
    database = db.database;
    users = new SearchUsersRepository(database);
    // Three organizations' directories; org_b reuses org_a's user id and e-mail (ids and e-mails are the emitters').
    await db.query(
      `INSERT INTO users (id, email, "userName", "organizationId")
       SELECT 'u' || n, 'user' || n || '@example.com', 'User ' || n, 'org_' || (ARRAY['a', 'b', 'c'])[1 + n % 3] FROM generate_series(1, 3000) n`,
    );
    await db.query(`INSERT INTO users (id, email, "userName", "organizationId") VALUES ('ada', 'Ada@Example.COM', 'Ada', 'org_a'), ('ada', 'ada@example.com', 'Ada B', 'org_b')`);
    await db.query('ANALYZE users');
  });

  afterAll(async () => {
    await db?.close();
  });

  const resolve = async (org: string, search: string): Promise<string[]> => [...(await users.resolve(org, parseSearch(search, new Date()))).values()].flat().sort();

  it("finds the organization's user whatever the e-mail's case, and no other organization's", async () => {
    expect(await resolve('org_a', 'user:ADA@example.com')).toEqual(['ada']);
    expect(await resolve('org_b', 'user:ada@EXAMPLE.com')).toEqual(['ada']);
    expect(await resolve('org_c', 'user:ada@example.com')).toEqual([]);
    // user3 is org_a's (3 % 3 = 0), user4 org_b's.
    expect(await resolve('org_a', 'user:user3@example.com,user4@example.com')).toEqual(['u3']);
  });

  it('answers every look-up of a search under its own key, and refuses a text that matches more than 1000 users', async () => {
    const node = parseSearch('user:user3@example.com Ada', new Date());
    const resolved = await users.resolve('org_a', node);
    expect([...resolved.entries()].sort()).toEqual([
      [lookupKey({ kind: 'email', emails: ['user3@example.com'] }), ['u3']],
      [lookupKey({ kind: 'text', text: 'Ada' }), ['ada']],
    ]);
    // org_a holds 1000 "userN@example.com" and Ada@Example.COM: 1001 contain "example".
    await expect(users.resolve('org_a', parseSearch('example', new Date()))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/search too broad/) });
    // org_c's 1000 are not too many.
    expect((await users.resolve('org_c', parseSearch('example', new Date()))).get(lookupKey({ kind: 'text', text: 'example' }))).toHaveLength(1000);
  });

  it("reads the users by the index on the organization and lower(email), not by a scan of every organization's", async () => {
    const read = jest.spyOn(database, 'read');
    try {
      await users.resolve('org_a', parseSearch('user:ada@example.com', new Date()));
      const [sql, params] = read.mock.calls[0];
      // Forbidding sequential scans makes the planner say whether any index serves the statement's condition.
      const plan = await database.transaction(async (q) => {
        await q.query('SET LOCAL enable_seqscan = off');
        return (await q.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('users_org_email_idx');
    } finally {
      read.mockRestore();
    }
  });
});
