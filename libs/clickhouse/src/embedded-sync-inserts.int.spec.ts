import fc from 'fast-check';
import { workHoldingExit } from '@audit/platform';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { EmbeddedSyncInserts } from './embedded-sync-inserts';

/** The projector's synchronous inserts on embedded chDB: a session of their own on the services' directory. */
describe('EmbeddedSyncInserts', () => {
  let ch: TestClickHouse;
  let inserts: EmbeddedSyncInserts;
  beforeAll(async () => {
    ch = testClickHouseEnv('audit_test_sync_inserts');
    await ch.query('SELECT 1'); // creates the database on the test's own session
    await (await ch.client()).command({ query: 'CREATE TABLE t (n UInt32, s String) ENGINE = MergeTree ORDER BY n' });
    inserts = new EmbeddedSyncInserts(ch.env.CLICKHOUSE_PATH, ch.database);
  });
  afterAll(async () => {
    inserts.close();
    await ch.drop();
  });
  beforeEach(async () => {
    await (await ch.client()).command({ query: 'TRUNCATE TABLE t' });
  });

  const tsv = (rows: ReadonlyArray<{ n: number; s: string }>): Buffer =>
    Buffer.from(rows.map((r) => `${r.n}\t${r.s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n')}\n`).join(''), 'utf8');

  it('stores exactly the rows given, seen by every other session on the directory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ n: fc.integer({ min: 0, max: 2 ** 32 - 1 }), s: fc.string({ unit: 'binary' }) }), { minLength: 1, maxLength: 50 }), async (rows) => {
        await (await ch.client()).command({ query: 'TRUNCATE TABLE t' });
        inserts.insert('t', ['n', 's'], 'TabSeparated', tsv(rows), { max_partitions_per_insert_block: '0' });
        const stored = await ch.query<{ n: number; s: string }>('SELECT n, s FROM t ORDER BY n, s');
        const expected = [...rows].sort((a, b) => a.n - b.n || (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
        expect(stored).toEqual(expected);
      }),
      { numRuns: 15 },
    );
  });

  it('throws for a row the table refuses, stores nothing of that insert, and the next insert works', async () => {
    expect(() => inserts.insert('t', ['n', 's'], 'TabSeparated', Buffer.from('1\ta\nnot-a-number\tb\n'), {})).toThrow(/not-a-number|Cannot parse|UInt32/i);
    expect(await ch.query('SELECT count() AS c FROM t')).toEqual([{ c: 0 }]);
    inserts.insert('t', ['n', 's'], 'TabSeparated', Buffer.from('2\tb\n'), {});
    expect(await ch.query('SELECT n, s FROM t')).toEqual([{ n: 2, s: 'b' }]);
  });

  it('holds process exit only while a statement runs: nothing is left registered after one, failed or not', async () => {
    inserts.insert('t', ['n', 's'], 'TabSeparated', Buffer.from('3\tc\n'), {});
    expect(() => inserts.insert('t', ['n', 's'], 'TabSeparated', Buffer.from('x\tc\n'), {})).toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(workHoldingExit()).toEqual({});
  });
});
