import { Logger } from '@nestjs/common';
import { HealthRegistry } from '@audit/platform';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@audit/testing-pipeline';
import { readPersistenceConfig } from './config';
import { Database } from './database';
import { MIGRATIONS } from './migrations';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

describe('Database (real Postgres)', () => {
  let db: MigratedTestDatabase;
  let database: Database;

  beforeAll(async () => {
    db = await createMigratedTestDatabase('persistence_db', { PG_POOL_SIZE: '2' });
    database = db.database;
  });

  afterAll(async () => {
    await db?.close();
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

  it('runs a prepared read as a plain one, with any values, after the table it reads changed, and on every connection of the pool', async () => {
    await db.query(`CREATE TABLE prepared_reads (n int PRIMARY KEY, label text)`);
    await db.query(`INSERT INTO prepared_reads SELECT g, 'n' || g FROM generate_series(1, 50) g`);
    const sql = 'SELECT n, label FROM prepared_reads WHERE n = ANY($1::int[]) ORDER BY n';
    // More runs than the pool has connections, concurrently, and past the five custom plans after which Postgres may plan it generically.
    const wanted = Array.from({ length: 12 }, (_, i) => [i + 1, 50 - i]);
    const read = (ns: number[]) => database.read<{ n: number; label: string }>(sql, [ns], { prepared: true });
    const answers = await Promise.all(wanted.map(read));
    expect(answers).toEqual(wanted.map((ns) => [...ns].sort((a, b) => a - b).map((n) => ({ n, label: `n${n}` }))));
    // A change to the table invalidates the statement's plan: Postgres plans it again, the read answers as before.
    await db.query(`ALTER TABLE prepared_reads ADD COLUMN extra int`);
    await db.query(`CREATE INDEX ON prepared_reads (label)`);
    await expect(read([3, 4])).resolves.toEqual([
      { n: 3, label: 'n3' },
      { n: 4, label: 'n4' },
    ]);
    await expect(database.read(sql, [[5]])).resolves.toEqual([{ n: 5, label: 'n5' }]);
    // On one connection: the prepared read's statement stays prepared there, a plain read's does not.
    const single = new Database(readPersistenceConfig({ DATABASE_URL: db.url, PG_POOL_SIZE: '1' }), new HealthRegistry());
    try {
      const plain = 'SELECT n FROM prepared_reads WHERE n = $1';
      await single.read(sql, [[1]], { prepared: true });
      await single.read(plain, [1]);
      const kept = (text: string) => single.read<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1', [text]);
      await expect(kept(sql)).resolves.toEqual([{ n: 1 }]);
      await expect(kept(plain)).resolves.toEqual([{ n: 0 }]);
    } finally {
      await single.onApplicationShutdown();
    }
  });

  it('answers a prepared read whose result changed type since it was prepared (a migration of another replica), and prepares it again', async () => {
    const single = new Database(readPersistenceConfig({ DATABASE_URL: db.url, PG_POOL_SIZE: '1' }), new HealthRegistry());
    try {
      await db.query(`CREATE TABLE prepared_retyped (n int PRIMARY KEY, label text)`);
      await db.query(`INSERT INTO prepared_retyped VALUES (1, 'one')`);
      const sql = 'SELECT n, label FROM prepared_retyped WHERE n = $1';
      await expect(single.read(sql, [1], { prepared: true })).resolves.toEqual([{ n: 1, label: 'one' }]);
      await db.query(`ALTER TABLE prepared_retyped ALTER COLUMN n TYPE bigint`);
      // bigint comes back as text from pg: the new type is what is read, not the prepared one.
      await expect(single.read(sql, [1], { prepared: true })).resolves.toEqual([{ n: '1', label: 'one' }]);
      await expect(single.read(sql, [1], { prepared: true })).resolves.toEqual([{ n: '1', label: 'one' }]);
      const kept = await single.read<{ name: string }>('SELECT name FROM pg_prepared_statements WHERE statement = $1 ORDER BY name', [sql]);
      // Prepared again, under the next generation's name.
      expect(kept.map((k) => k.name)).toContainEqual(expect.stringMatching(/^r1_/));
    } finally {
      await single.onApplicationShutdown();
    }
  });
});
