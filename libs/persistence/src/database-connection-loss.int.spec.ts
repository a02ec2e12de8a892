import { Logger } from '@nestjs/common';
import { HealthRegistry } from '@audit/platform';
import { createTestDatabase, runScript, startTcpProxy, type TcpProxy, type TestDatabase } from '@audit/testing';
import { readPersistenceConfig } from './config';
import { Database } from './database';
import { pgFailureKind } from './pg-errors';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

interface Outcome {
  ok: boolean;
  value?: unknown;
  code?: string | null;
  message?: string;
}

interface MethodReport {
  failure: Outcome;
  next: { write: Outcome; read: Outcome; transaction: Outcome; lock: Outcome };
}

/**
 * A connection that dies while `Database` has it lent out (Postgres restarted, backend terminated, network
 * cut) must fail only the work it was doing, and the process must live on: pg-pool stops listening to a
 * checked-out client, so an 'error' event nobody listens for would end it. Run in a separate process,
 * because the failure mode is the process crashing. The pools hold one connection each, so the call after
 * the loss can only succeed if the dead connection was destroyed rather than pooled again.
 */
describe('Database when a lent connection dies', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_connloss');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('fails only the call that held it, for every method; the process survives and the next calls get healthy connections', async () => {
    const result = await runScript(
      `
      const { Database, readPersistenceConfig } = requireLib('persistence');
      const { HealthRegistry } = requireLib('platform');
      const KILL_SELF = 'SELECT pg_terminate_backend(pg_backend_pid())';
      // The lock-holding session is idle while the work runs: it is killed from the read pool's session.
      const KILL_LOCK_HOLDERS = \`SELECT count(pg_terminate_backend(pid))::int AS killed FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND pid <> pg_backend_pid()\`;
      // The dead socket closes a moment later: that is when an unlistened client throws.
      const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
      const outcome = (promise) => promise.then(
        (value) => ({ ok: true, value }),
        (error) => ({ ok: false, code: error.code ?? null, message: error.message }),
      );
      (async () => {
        const database = new Database(readPersistenceConfig({ DATABASE_URL: process.env.DATABASE_URL, PG_POOL_SIZE: '1' }), new HealthRegistry());
        const killLockHolder = async () => {
          const rows = await database.read(KILL_LOCK_HOLDERS, []);
          await settle();
          return rows;
        };
        const methods = {
          query: () => database.query(KILL_SELF).then((r) => r.rows),
          read: () => database.read(KILL_SELF, []),
          transaction: () => database.transaction((sql) => sql.query(KILL_SELF)),
          withClient: () => database.withClient((client) => client.query(KILL_SELF)),
          withAdvisoryLock: () => database.withAdvisoryLock(7001, killLockHolder),
          tryAdvisoryLock: () => database.tryAdvisoryLock(7001, killLockHolder),
        };
        const report = {};
        for (const [name, call] of Object.entries(methods)) {
          const failure = await outcome(call());
          await settle();
          const next = {
            write: await outcome(database.query('SELECT 2 AS two').then((r) => r.rows)),
            read: await outcome(database.read('SELECT 3 AS three', [])),
            transaction: await outcome(database.transaction(async (sql) => (await sql.query('SELECT 4 AS four')).rows)),
            lock: await outcome(database.tryAdvisoryLock(7001, async () => 'free')),
          };
          report[name] = { failure, next };
        }
        await database.onApplicationShutdown();
        console.log('REPORT ' + JSON.stringify(report));
      })();
      `,
      { DATABASE_URL: db.url },
      45_000,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const line = result.stdout.split('\n').find((l) => l.startsWith('REPORT '));
    const report = JSON.parse(line?.slice('REPORT '.length) ?? '{}') as Record<string, MethodReport>;
    expect(Object.keys(report)).toEqual(['query', 'read', 'transaction', 'withClient', 'withAdvisoryLock', 'tryAdvisoryLock']);

    for (const name of ['query', 'read', 'transaction', 'withClient']) {
      // The statement's own connection died under it: the call fails, and the writer would retry it.
      expect({ name, ok: report[name].failure.ok, code: report[name].failure.code }).toEqual({ name, ok: false, code: '57P01' });
      expect(pgFailureKind(report[name].failure)).toBe('transient');
    }
    // The lock's session died while the work ran elsewhere: the work's result stands, the lock went with the session.
    expect(report['withAdvisoryLock'].failure).toEqual({ ok: true, value: [{ killed: 1 }] });
    expect(report['tryAdvisoryLock'].failure).toEqual({ ok: true, value: { acquired: true, result: [{ killed: 1 }] } });

    for (const [name, { next }] of Object.entries(report)) {
      expect({ name, next }).toEqual({
        name,
        next: {
          write: { ok: true, value: [{ two: 2 }] },
          read: { ok: true, value: [{ three: 3 }] },
          transaction: { ok: true, value: [{ four: 4 }] },
          lock: { ok: true, value: { acquired: true, result: 'free' } },
        },
      });
    }
  });
});

/**
 * A network partition loses the bytes of a statement in flight: without a client-side limit the
 * connection waits for an answer that never comes (about a minute was seen after a partition healed).
 */
describe('Database across a network partition', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let database: Database;

  beforeAll(async () => {
    db = await createTestDatabase('persistence_partition');
    proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    database = new Database(
      readPersistenceConfig({ DATABASE_URL: url.toString(), PG_POOL_SIZE: '1', PG_QUERY_TIMEOUT_MS: '500', PG_CONNECT_TIMEOUT_MS: '500' }),
      new HealthRegistry(),
    );
  });

  afterAll(async () => {
    await database?.onApplicationShutdown();
    await proxy?.close();
    await db?.drop();
  });

  it('fails a write-path statement after PG_QUERY_TIMEOUT_MS, destroys its connection, and serves again once the network heals', async () => {
    await expect(database.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    proxy.partition();
    // The open connection: the statement is sent, its bytes are lost, the client gives up on it; the writer
    // would nak and retry such a batch, never dead-letter it.
    const lost = await database.query('SELECT 1 AS one').then(() => null, (error: unknown) => error);
    expect(lost).toMatchObject({ message: 'Query read timeout' });
    expect(pgFailureKind(lost)).toBe('transient');
    // A new connection cannot open across the partition either; it fails rather than waits.
    await expect(database.transaction((sql) => sql.query('SELECT 1'))).rejects.toThrow(/timeout/i);
    proxy.heal();
    // With one connection allowed, these succeed only because the stuck one was destroyed, not pooled.
    await expect(database.query('SELECT 2 AS two')).resolves.toMatchObject({ rows: [{ two: 2 }] });
    await expect(database.transaction(async (sql) => (await sql.query('SELECT 3 AS three')).rows)).resolves.toEqual([{ three: 3 }]);
  });

  it('times out a statement inside a transaction without waiting on a ROLLBACK behind it', async () => {
    await expect(database.transaction(async (sql) => (await sql.query('SELECT 1 AS one')).rows)).resolves.toEqual([{ one: 1 }]);
    await expect(
      database.transaction(async (sql) => {
        await sql.query('SELECT 1');
        proxy.partition();
        await sql.query('SELECT 2');
      }),
    ).rejects.toThrow('Query read timeout');
    proxy.heal();
    await expect(database.transaction(async (sql) => (await sql.query('SELECT 5 AS five')).rows)).resolves.toEqual([{ five: 5 }]);
  });
});
