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

  it('stops a read that outlives PG_READ_TIMEOUT_MS (QUERY_TIMEOUT), keeps serving reads, and leaves the write path unbounded', async () => {
    const bounded = new Database(readPersistenceConfig({ DATABASE_URL: db.url, PG_POOL_SIZE: '1', PG_READ_TIMEOUT_MS: '200' }), new HealthRegistry());
    try {
      const started = performance.now();
      await expect(bounded.read('SELECT pg_sleep(10)', [])).rejects.toMatchObject({ name: 'AppError', code: 'QUERY_TIMEOUT', message: expect.stringContaining('PG_READ_TIMEOUT_MS') });
      expect(performance.now() - started).toBeLessThan(5_000);
      // The same (only) connection answers the next read.
      await expect(bounded.read<{ one: number }>('SELECT $1::int AS one', [1])).resolves.toEqual([{ one: 1 }]);
      await expect(bounded.query('SELECT pg_sleep(0.4) AS slept')).resolves.toMatchObject({ rowCount: 1 });
      // Other failures pass unchanged.
      await expect(bounded.read('SELECT 1/0', [])).rejects.toMatchObject({ code: '22012' });
    } finally {
      await bounded.onApplicationShutdown();
    }
  });
});
