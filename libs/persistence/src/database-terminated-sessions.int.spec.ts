import { createTestDatabase, runScript, waitFor, type TestDatabase } from '@audit/testing';

jest.setTimeout(60_000);

/** How long the services' sessions are terminated over and over. */
const STORM_MS = 4_000;

/**
 * Every session of the database ended by pg_terminate_backend every 10 ms for a few seconds while
 * `Database` keeps opening connections and running statements, transactions and COPYs on them: the work
 * fails and is retried, and the process lives on. A session can be ended just as it becomes ready, so the
 * termination arrives in the same read as its ReadyForQuery: pg-pool hands that client out (no longer
 * listening to it) before the code that asked for it can listen, and pg emits the termination as an 'error'
 * nobody listens for, which ended the process. Run in a separate process, because that is the failure.
 */
describe('Database while its sessions are terminated again and again', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_terminated');
    await db.query('CREATE TABLE t (n int)');
    await db.query('CREATE TABLE ready (n int)');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('survives, failing only the work of the ended sessions', async () => {
    const worker = runScript(
      `
      const { Database, readPersistenceConfig } = requireLib('persistence');
      const { HealthRegistry } = requireLib('platform');
      (async () => {
        const database = new Database(readPersistenceConfig({ DATABASE_URL: process.env.DATABASE_URL, PG_POOL_SIZE: '4' }), new HealthRegistry());
        await database.onModuleInit();
        // The storm starts once the migrations ran: a migration cut short is not what this is about.
        await database.query('INSERT INTO ready VALUES (1)');
        const until = Date.now() + ${STORM_MS};
        let ok = 0;
        let failed = 0;
        const loop = async (i) => {
          while (Date.now() < until) {
            const work = i % 3 === 0
              ? database.query('SELECT 1')
              : i % 3 === 1
                ? database.transaction((sql) => sql.query('INSERT INTO t VALUES (1)'))
                : database.read('SELECT count(*) FROM t', []);
            await work.then(() => ok++, () => failed++);
          }
        };
        await Promise.all(Array.from({ length: 6 }, (_, i) => loop(i)));
        await database.onApplicationShutdown();
        process.stdout.write('\\n' + JSON.stringify({ ok, failed }), () => process.exit(0));
      })().catch((error) => { console.error(error); process.exit(1); });
      `,
      { DATABASE_URL: db.url },
      STORM_MS + 30_000,
    );
    let exited: { code: number | null; stderr: string } | undefined;
    void worker.then((r) => (exited = r));
    await waitFor(
      'the worker to be ready',
      async () => {
        if (exited) throw new Error(`the worker exited with ${exited.code}: ${exited.stderr}`);
        return (await db.query('SELECT n FROM ready')).length > 0;
      },
      30_000,
      20,
    );
    const until = Date.now() + STORM_MS;
    let terminated = 0;
    while (Date.now() < until) {
      const [row] = await db.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      terminated += row.n;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const result = await worker;
    expect({ code: result.code, stderr: result.stderr.slice(0, 2_000) }).toEqual({ code: 0, stderr: '' });
    // The last line: the Database's own warnings (idle clients failing) come before it.
    const { ok, failed } = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as { ok: number; failed: number };
    console.log(`[terminated sessions] ${terminated} sessions ended; ${ok} calls succeeded, ${failed} failed`);
    expect(terminated).toBeGreaterThan(0);
    expect(ok).toBeGreaterThan(0);
  });
});
