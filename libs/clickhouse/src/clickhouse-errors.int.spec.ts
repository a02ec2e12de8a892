import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { testClickHouseEnv, type TestClickHouse } from '@audit/testing';
import { clickHouseFailureKind } from './clickhouse-errors';

/**
 * The projector asks clickHouseFailureKind whether a failed insert can ever succeed: a row ClickHouse
 * cannot parse is poison (dead-lettered at once), a server that is away is transient (retried). The
 * errors here are the real ones, raised by embedded chDB and by @clickhouse/client.
 */
describe('clickHouseFailureKind on real ClickHouse errors', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;

  beforeAll(async () => {
    ch = testClickHouseEnv();
    client = await ch.client();
    await client.command({ query: "CREATE TABLE t (n Nullable(UInt32), at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY tuple()" });
  });

  afterAll(async () => {
    await ch?.drop();
  });

  const insertError = async (row: Record<string, unknown>): Promise<unknown> => {
    try {
      await client.insert({ table: 't', values: [row], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
    } catch (error) {
      return error;
    }
    throw new Error(`ClickHouse accepted ${JSON.stringify(row)}`);
  };

  it.each([
    ['a string where a number belongs', { n: 'slow', at: '2026-01-01 00:00:00.000' }],
    ['a negative number in an unsigned column', { n: -1, at: '2026-01-01 00:00:00.000' }],
    ['a fraction in an integer column', { n: 1.5, at: '2026-01-01 00:00:00.000' }],
    ['a time that is not one', { n: 1, at: 'garbage' }],
  ])('a row with %s is permanent', async (_what, row) => {
    const error = await insertError(row);
    expect({ kind: clickHouseFailureKind(error), error: String((error as { type?: string }).type) }).toEqual({ kind: 'permanent', error: expect.stringMatching(/^CANNOT_/) });
  });

  it('a server that refuses the connection is transient', async () => {
    const away = createClient({ url: 'http://127.0.0.1:9', request_timeout: 2_000, log: { level: ClickHouseLogLevel.OFF } });
    try {
      const error = await away.query({ query: 'SELECT 1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(clickHouseFailureKind(error)).toBe('transient');
    } finally {
      await away.close();
    }
  });
});
