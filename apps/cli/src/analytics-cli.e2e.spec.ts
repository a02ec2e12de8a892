import { createTestDatabase, privateClickHousePath, runCliProcess, type TestDatabase } from '@audit/testing';
import { loadMigrations } from '@audit/clickhouse';
import { MIGRATIONS } from '@audit/persistence';

jest.setTimeout(60_000);

const SECRET = 'cli-analytics-secret-that-is-long-enough-0123';

/**
 * The ClickHouse side of the CLI, run as an operator runs it (`npm run cli -- ...`, a child process) on a
 * private Postgres database and an embedded ClickHouse directory of its own: `migrate`, `projections
 * rebuild` from Postgres (the system of record) and read-only `sql`.
 */
describe('cli: migrate, projections rebuild and sql on embedded ClickHouse', () => {
  let db: TestDatabase;
  const store = privateClickHousePath();
  let env: Record<string, string>;
  const run = (args: string[]) => runCliProcess(args, env);
  /** Runs a command, fails with its output unless it exited 0, returns stdout (parsed when --json). */
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run(args);
    if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_cli_ch');
    // NATS_URL set (none of these commands uses the bus) so the CLI does not start an embedded nats-server.
    env = { DATABASE_URL: db.url, NATS_URL: 'nats://127.0.0.1:9', AUTH_JWT_SECRET: SECRET, CLICKHOUSE_PATH: store.path, CLICKHOUSE_DATABASE: 'audit' };
  });

  afterAll(async () => {
    await db?.drop();
    store.remove();
  });

  /** What Postgres holds, in the shape the ClickHouse check query answers. */
  const postgresCounts = async (since = '1970-01-01T00:00:00Z') =>
    db.query<{ organizationId: string; n: number; rt: number }>(
      `SELECT "organizationId", count(*)::int AS n, coalesce(sum("responseTimeMs"), 0)::int AS rt
       FROM audit_trail_events WHERE "createdAt" >= $1 GROUP BY 1 ORDER BY "organizationId" COLLATE "C"`,
      [since],
    );
  const CHECK = `SELECT organizationId, count() AS n, sum(ifNull(responseTimeMs, 0)) AS rt,
                        (SELECT sum(events) FROM audit_events_hourly h WHERE h.organizationId = e.organizationId) AS rollup,
                        (SELECT sum(events) FROM audit_events_daily_users d WHERE d.organizationId = e.organizationId) AS daily
                 FROM audit_events e GROUP BY organizationId ORDER BY organizationId`;
  const clickhouseCounts = async () => json<Array<{ organizationId: string; n: number; rt: number; rollup: number; daily: number }>>(['sql', CHECK, '--format', 'json']);

  it('migrate --json on a fresh store lists the Postgres and the ClickHouse migrations, then finds nothing to do', async () => {
    expect(await json(['migrate', '--json'])).toEqual({ applied: MIGRATIONS.map((M) => new M().name), clickhouse: loadMigrations().map((m) => m.name) });
    const again = await run(['migrate']);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'schema is up to date\n' });
  });

  describe('with events in Postgres', () => {
    beforeAll(async () => {
      // 150 events of two organizations over about four hours across a UTC midnight, with milliseconds; 1 in 5 without a response time.
      await db.query(`
        INSERT INTO audit_trail_events (id, "organizationId", "actionType", "userId", "ipAddress", "responseTimeMs", "queryName", metadata, "createdAt", "receivedAt")
        SELECT gen_random_uuid(), CASE WHEN i % 3 = 0 THEN 'cli-b' ELSE 'cli-a' END, (ARRAY['LOGIN', 'QUERY_RUN', 'PAGE_VIEW', 'LOGOUT'])[1 + i % 4],
               'u' || (i % 5), '192.0.2.' || (i % 9), CASE WHEN i % 5 = 0 THEN NULL ELSE i * 3 END, 'q' || (i % 2), jsonb_build_object('i', i, 'note', 'żółć "x"'),
               TIMESTAMPTZ '2026-11-26 22:10:00.123+00' + i * INTERVAL '97.007 seconds', now()
        FROM generate_series(1, 150) AS i`);
      await db.query(`INSERT INTO users (id, email, "userName", "organizationId") SELECT 'u' || i, 'u' || i || '@cli.test', 'User ' || i, 'cli-a' FROM generate_series(0, 4) AS i`);
    });

    it('projections rebuild reloads ClickHouse from Postgres with a progress bar; counts match, twice in a row', async () => {
      const pg = await postgresCounts();
      expect(pg).toEqual([
        { organizationId: 'cli-a', n: 100, rt: expect.any(Number) },
        { organizationId: 'cli-b', n: 50, rt: expect.any(Number) },
      ]);
      for (let run = 0; run < 2; run++) {
        const result = await runCliProcess(['projections', 'rebuild', '--json'], env);
        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout)).toEqual({ organizationId: null, since: null, postgres: 150, inserted: 150, clickhouse: 150, matches: true, seconds: expect.any(Number) });
        expect(result.stderr).toMatch(/\[#{30}\] 100% 150\/150 rows, \d+ rows\/s/);
      }
      expect(await clickhouseCounts()).toEqual(pg.map((r) => ({ ...r, rollup: r.n, daily: r.n })));
    });

    it('--org and --since limit the rebuild to their scope (the UTC day of --since on), each idempotent; a bad --since is a usage error', async () => {
      for (let run = 0; run < 2; run++) {
        expect(await json(['projections', 'rebuild', '--org', 'cli-b', '--json'])).toEqual({
          organizationId: 'cli-b',
          since: null,
          postgres: 50,
          inserted: 50,
          clickhouse: 50,
          matches: true,
          seconds: expect.any(Number),
        });
      }
      const fromDay = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "createdAt" >= '2026-11-27T00:00:00Z'`))[0].n;
      expect(fromDay).toBeGreaterThan(50);
      expect(fromDay).toBeLessThan(150);
      for (let run = 0; run < 2; run++) {
        expect(await json(['projections', 'rebuild', '--since', '2026-11-27T10:59:59.999Z', '--json'])).toMatchObject({
          organizationId: null,
          since: '2026-11-27T00:00:00.000Z',
          postgres: fromDay,
          inserted: fromDay,
          clickhouse: fromDay,
          matches: true,
        });
      }
      // Whatever the scopes, ClickHouse ends equal to Postgres, rollup included.
      expect(await clickhouseCounts()).toEqual((await postgresCounts()).map((r) => ({ ...r, rollup: r.n, daily: r.n })));

      const bad = await run(['projections', 'rebuild', '--since', 'last tuesday']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain(`error: option '--since <date>' argument 'last tuesday' is invalid. Expected an ISO-8601 date`);
    });

    it('sql "select count() from audit_events" in json, csv and table formats', async () => {
      const query = 'select count() from audit_events';
      const outputs = [];
      for (const format of ['json', 'csv', 'table']) outputs.push(await run(['sql', query, '--format', format]));
      expect(outputs.map((o) => ({ code: o.code, stdout: o.stdout }))).toEqual([
        { code: 0, stdout: '[{"count()":150}]\n' },
        { code: 0, stdout: '"count()"\n150\n' },
        { code: 0, stdout: 'count()\n-------\n150\n(1 row)\n' },
      ]);
    });

    it('sql output piped to another program arrives whole (about 1.9 MB, far past the 64 KiB a pipe holds)', async () => {
      // runCliProcess reads the CLI's stdout through a pipe, as `| wc -c` does.
      const result = await run(['sql', 'SELECT number FROM numbers(300000)', '--format', 'csv']);
      const expected = `"number"\n${Array.from({ length: 300_000 }, (_, i) => `${i}\n`).join('')}`;
      expect({ code: result.code, bytes: Buffer.byteLength(result.stdout) }).toEqual({ code: 0, bytes: Buffer.byteLength(expected) });
      expect(result.stdout === expected).toBe(true);
    });

    it('sql refuses anything that writes (exit 1), and the table and its rows are still there', async () => {
      const writes = [
        'drop table audit_events',
        "insert into audit_events (id, organizationId, actionType, metadata, createdAt, receivedAt) values (generateUUIDv4(), 'cli-a', 'LOGIN', '{}', now64(3), now64(3))",
        'SET readonly = 0; DROP TABLE audit_events',
      ];
      for (const query of writes) {
        const result = await run(['sql', query]);
        expect({ query, code: result.code }).toEqual({ query, code: 1 });
        expect(result.stderr).toMatch(/readonly/i);
      }
      expect(
        await json([
          'sql',
          "SELECT (SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('audit_events', 'audit_events_hourly', 'audit_events_hourly_mv')) AS tables, (SELECT count() FROM audit_events) AS events",
          '--format',
          'json',
        ]),
      ).toEqual([{ tables: 3, events: 150 }]);
    });
  });
});
