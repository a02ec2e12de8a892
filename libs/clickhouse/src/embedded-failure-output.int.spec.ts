import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { openClickHouse } from './clickhouse.client';
import { readClickHouseConfig } from './config';

/**
 * chDB keeps what a failing statement's output format wrote before the failure on the session, and the next
 * statement would return it ahead of its own answer: rows of another request, or the `[` … `]` of a JSON
 * array (the analytics' time series). The embedded connection takes it away right after the failure.
 */
describe('embedded ClickHouse after a statement that fails while it runs', () => {
  let ch: TestClickHouse;
  beforeAll(() => {
    ch = testClickHouseEnv('audit_test_failure_output');
  });
  afterAll(async () => {
    await ch.drop();
  });

  it.each([
    ['rows written before an error', 'SELECT throwIf(number = 5, {why:String}) AS x FROM numbers(10) SETTINGS max_block_size = 1'],
    ['a JSON array opened before an error', 'SELECT throwIf(number = 5, {why:String}) AS x FROM numbers(10) SETTINGS max_block_size = 1, output_format_json_array_of_rows = 1'],
    [
      'a time limit reached while reading (SEARCH_TIMEOUT)',
      "SELECT sleepEachRow(0.1) AS x FROM numbers(20) WHERE length({why:String}) > 0 SETTINGS max_block_size = 1, output_format_json_array_of_rows = 1, max_execution_time = 0.5, timeout_overflow_mode = 'throw'",
    ],
  ])('the next statement answers only its own rows: %s', async (_kind, failing) => {
    const { client } = await openClickHouse(readClickHouseConfig(ch.env));
    try {
      await expect(client.query({ query: failing, query_params: { why: 'boom' }, format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow();
      // Parameterised and not: both kinds of statement of the connection.
      expect(await (await client.query({ query: 'SELECT {n:UInt8} AS n', query_params: { n: 7 }, format: 'JSONEachRow' })).json()).toEqual([{ n: 7 }]);
      await expect(client.query({ query: failing.replace('{why:String}', "'boom'"), format: 'JSONEachRow' }).then((r) => r.json())).rejects.toThrow();
      expect(await (await client.query({ query: 'SELECT 8 AS n', format: 'JSONEachRow' })).json()).toEqual([{ n: 8 }]);
    } finally {
      await client.close();
    }
  });
});
