import { createTestDatabase, runScript, type TestDatabase } from '@audit/testing';
import { pgFailureKind } from './pg-errors';

jest.setTimeout(60_000);

/**
 * A connection that dies while a transaction holds it (Postgres restarted, backend terminated, network cut)
 * must fail that transaction with an error the writer classifies as transient (nak, retry), and the process
 * must live on. Run in a separate process, because the failure mode is the process crashing.
 * pg-pool removes its own 'error' listener while a client is checked out, so `transaction` must listen.
 */
describe('Database.transaction when its connection dies', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_connloss');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('rejects with a transient error, the process survives, and the pool recovers', async () => {
    const result = await runScript(
      `
      const { Database, readPersistenceConfig } = requireLib('persistence');
      const { HealthRegistry } = requireLib('platform');
      (async () => {
        const database = new Database(readPersistenceConfig({ DATABASE_URL: process.env.DATABASE_URL, PG_POOL_SIZE: '1' }), new HealthRegistry());
        const failure = await database
          .transaction((client) => client.query('SELECT pg_terminate_backend(pg_backend_pid())'))
          .then(() => null, (error) => ({ code: error.code, message: error.message }));
        // The dead socket closes a moment later: that is when an unlistened client throws.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const rows = await database.transaction(async (client) => (await client.query('SELECT 2 AS two')).rows);
        console.log(JSON.stringify({ failure, rows }));
        await database.pool.end();
      })();
      `,
      { DATABASE_URL: db.url },
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const { failure, rows } = JSON.parse(result.stdout) as { failure: { code?: string; message: string } | null; rows: unknown };
    expect(failure).not.toBeNull();
    expect(pgFailureKind(failure)).toBe('transient');
    expect(rows).toEqual([{ two: 2 }]);
  });
});
