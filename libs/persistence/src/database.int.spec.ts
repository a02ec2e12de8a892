import { Logger } from '@nestjs/common';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, type TestDatabase } from '@audit/testing';
import { readPersistenceConfig } from './config';
import { Database } from './database';
import { MIGRATIONS } from './migrations';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

describe('Database (real Postgres)', () => {
  let db: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_db');
    database = new Database(readPersistenceConfig({ DATABASE_URL: db.url, PG_POOL_SIZE: '2' }), new HealthRegistry());
    await database.onModuleInit();
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('migrates once: a second start finds nothing to apply', async () => {
    const again = new Database(readPersistenceConfig({ DATABASE_URL: db.url }), new HealthRegistry());
    await again.onModuleInit();
    await again.onApplicationShutdown();
    const applied = await db.query<{ name: string }>('SELECT name FROM schema_migrations');
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name));
  });

  it('rolls a failed transaction back and rethrows', async () => {
    await expect(
      database.transaction(async (client) => {
        await client.query(`INSERT INTO users (id, "organizationId") VALUES ('rolled-back', 'org')`);
        await client.query('SELECT 1/0');
      }),
    ).rejects.toMatchObject({ code: '22012' });
    expect(await db.query(`SELECT id FROM users WHERE id = 'rolled-back'`)).toEqual([]);
    // The pool is still usable afterwards.
    await expect(database.transaction(async (client) => (await client.query('SELECT 1 AS one')).rows)).resolves.toEqual([{ one: 1 }]);
  });
});
