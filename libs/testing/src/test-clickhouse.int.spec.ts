import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { privateClickHousePath, processClickHousePath, testClickHouseEnv } from './test-clickhouse';

/** The chDB helpers: one directory for the whole jest process, one database per test file. */
describe('testClickHouseEnv', () => {
  it('shares the process directory, isolates by database, and drops its database', async () => {
    const a = testClickHouseEnv();
    const b = testClickHouseEnv('audit_test_other');
    try {
      expect(a.env.CLICKHOUSE_PATH).toBe(path.join(tmpdir(), `audit-chdb-jest-${process.pid}`));
      expect(b.env.CLICKHOUSE_PATH).toBe(processClickHousePath());
      expect(a.env.CLICKHOUSE_DATABASE).toMatch(/^audit_test_[0-9a-f]{8}$/);
      expect(b.env.CLICKHOUSE_DATABASE).toMatch(/^audit_test_other_[0-9a-f]{8}$/);

      await (await a.client()).command({ query: 'CREATE TABLE t (n UInt8) ENGINE = MergeTree ORDER BY n' });
      await (await a.client()).insert({ table: 't', values: [{ n: 1 }, { n: 2 }], format: 'JSONEachRow' });
      expect(await a.query('SELECT currentDatabase() AS d, count() AS n FROM t')).toEqual([{ d: a.database, n: 2 }]);
      expect(await b.query("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 't'")).toEqual([{ n: 0 }]);
      expect(await b.query('SELECT {x:String} AS x', { x: "it's" })).toEqual([{ x: "it's" }]);
    } finally {
      await a.drop();
      await b.drop();
    }
    const c = testClickHouseEnv();
    try {
      expect(await c.query('SELECT count() AS n FROM system.databases WHERE name IN ({a:String}, {b:String})', { a: a.database, b: b.database })).toEqual([{ n: 0 }]);
    } finally {
      await c.drop();
    }
  });

  it('removes the directories of jest processes that are gone, never a live one', () => {
    const gone = path.join(tmpdir(), 'audit-chdb-jest-999999999');
    const alive = path.join(tmpdir(), `audit-chdb-jest-${process.ppid}`);
    mkdirSync(gone, { recursive: true });
    const aliveExisted = existsSync(alive);
    mkdirSync(alive, { recursive: true });
    testClickHouseEnv();
    expect([existsSync(gone), existsSync(alive)]).toEqual([false, true]);
    if (!aliveExisted) rmSync(alive, { recursive: true, force: true });
  });

  it('gives a child process a directory of its own', () => {
    const own = privateClickHousePath();
    expect(existsSync(own.path)).toBe(true);
    expect(own.path).not.toBe(processClickHousePath());
    own.remove();
    expect(existsSync(own.path)).toBe(false);
  });
});
