import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { openClickHouse } from './clickhouse.client';
import { readClickHouseConfig } from './config';

/** Embedded inserts go through a file of their own (insertingThroughFiles): what a caller sees must not change. */
describe('embedded ClickHouse inserts through files', () => {
  let ch: TestClickHouse;
  beforeAll(() => {
    ch = testClickHouseEnv('audit_test_file_inserts');
  });
  afterAll(async () => {
    await ch.drop();
  });

  const insertDirectories = (): string[] => {
    const dataPath = ch.env.CLICKHOUSE_PATH;
    return readdirSync(path.dirname(dataPath)).filter((name) => name.startsWith(`.${path.basename(dataPath)}-inserts-`));
  };

  it('stores rows of every shape the platform sends, leaves no file behind, and removes its directory on close', async () => {
    const before = insertDirectories();
    const { client } = await openClickHouse(readClickHouseConfig(ch.env));
    try {
      await client.command({ query: "CREATE TABLE files_rows (id UInt32, at DateTime64(3, 'UTC'), text String, n Nullable(UInt32)) ENGINE = MergeTree ORDER BY id" });
      const mine = insertDirectories().filter((d) => !before.includes(d));
      expect(mine).toHaveLength(1);
      // JSON rows with a setting of the insert (the projector's JSONEachRow path), a stream of TSV lines with columns named (its encoded path), a string, nothing.
      await client.insert({ table: 'files_rows', values: [{ id: 1, at: '2026-01-02T03:04:05.678Z', text: "it's \\ \"quoted\"\n", n: null }], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
      await client.insert({ table: 'files_rows', columns: ['id', 'text', 'at'], values: Readable.from([Buffer.from('2\ttab\\tseparated\t2026-01-02 03:04:05.678\n'), Buffer.from('3\tü\t2026-01-02 03:04:06.000\n')], { objectMode: false }), format: 'TabSeparated' });
      await client.insert({ table: 'files_rows', values: [{ id: 4, at: '2026-01-02 03:04:07.000', text: 's', n: 7 }], format: 'JSONEachRow' });
      await client.insert({ table: 'files_rows', values: [], format: 'JSONEachRow' });
      const rows = await (await client.query({ query: 'SELECT id, toString(at) AS at, text, n FROM files_rows ORDER BY id', format: 'JSONEachRow' })).json();
      expect(rows).toEqual([
        { id: 1, at: '2026-01-02 03:04:05.678', text: "it's \\ \"quoted\"\n", n: null },
        { id: 2, at: '2026-01-02 03:04:05.678', text: 'tab\tseparated', n: null },
        { id: 3, at: '2026-01-02 03:04:06.000', text: 'ü', n: null },
        { id: 4, at: '2026-01-02 03:04:07.000', text: 's', n: 7 },
      ]);
      // A refused row fails the insert with ClickHouse's reason, as inline rows did, and stores nothing of it.
      await expect(client.insert({ table: 'files_rows', values: Readable.from([Buffer.from('not-a-number\tx\n')], { objectMode: false }), columns: ['id', 'text'], format: 'TabSeparated' })).rejects.toThrow(/not-a-number|parse|Cannot/i);
      expect(await (await client.query({ query: 'SELECT count() AS c FROM files_rows', format: 'JSONEachRow' })).json()).toEqual([{ c: 4 }]);
      expect(readdirSync(path.join(path.dirname(ch.env.CLICKHOUSE_PATH), mine[0]))).toEqual([]);
    } finally {
      await client.close();
    }
    expect(insertDirectories()).toEqual(before);
  });
});
