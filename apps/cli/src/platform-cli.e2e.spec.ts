import { privateClickHousePath, runCliProcess, startServiceStack, type ServiceStack } from '@audit/testing';

jest.setTimeout(60_000);

/**
 * `npm start`, then the commands its banner points to, as an operator runs them: the standalone platform
 * as its own process (private Postgres database, nats-server and embedded ClickHouse), the CLI as others.
 */
describe('cli beside a running platform', () => {
  let stack: ServiceStack;
  const store = privateClickHousePath();

  beforeAll(async () => {
    // LOG_LEVEL=log, as `npm start` runs: what it prints at start is part of what is checked.
    stack = await startServiceStack('standalone', { LOG_LEVEL: 'log', CLICKHOUSE_PATH: store.path }, { dbPrefix: 'audit_cli_platform', readyTimeoutMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    store.remove();
  }, 60_000);

  it("starts with its banner (where it listens, the console, how to get a key), not Nest's module and route narration", () => {
    const output = stack.service.output();
    expect(output).toContain(`Audit trail platform listening on ${stack.service.url}`);
    expect(output).toContain(`console:  ${stack.service.url}/audit`);
    expect(output).toContain('create an ingest key:  npm run cli -- keys create --org <org>');
    expect(output).not.toMatch(/RouterExplorer|RoutesResolver|InstanceLoader|Mapped \{/);
    const beforeBanner = output.slice(0, output.indexOf('Audit trail platform listening')).trim().split('\n');
    // What is left: connected, migrations, partitions, retention schedule, listening (each one JSON line).
    expect(beforeBanner.length).toBeLessThanOrEqual(12);
    expect(beforeBanner.every((line) => JSON.parse(line) !== null)).toBe(true);
  });

  it('demo publishes, then waits until the writer has stored every event, with a progress bar', async () => {
    const emitter = await stack.nats.emitter('demo-acme');
    const result = await runCliProcess(['demo', '--org', 'demo-acme', '--events', '300', '--json'], {
      ...stack.env,
      NATS_USER: emitter.user,
      NATS_PASSWORD: emitter.password,
      NATS_INBOX_PREFIX: emitter.inboxPrefix,
    });
    expect({ code: result.code, stdout: JSON.parse(result.stdout) as unknown }).toEqual({
      code: 0,
      stdout: { organizationId: 'demo-acme', published: 300, seconds: expect.any(Number), stored: 300, caughtUp: true, waitedSeconds: expect.any(Number) },
    });
    expect(result.stderr).toContain('\rpublished [##############################] 100% 300/300 events\n');
    expect(result.stderr).toMatch(/\rstored {4}\[#{30}\] 100% 300\/300 events\n$/);
    expect(await stack.db.query(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = 'demo-acme'`)).toEqual([{ n: 300 }]);
  });

  it("a command that would open the platform's embedded ClickHouse a second time says so plainly, never chDB's lock error", async () => {
    const env = { ...stack.env, CLICKHOUSE_PATH: store.path };
    for (const args of [['sql', 'SELECT 1'], ['projections', 'rebuild'], ['migrate']]) {
      const result = await runCliProcess(args, env);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toMatch(new RegExp(`^error: embedded ClickHouse data at ${store.path} is open in another process \\(pid \\d+, a running platform\\?\\): chDB allows one process per data directory\\. Stop that process, set CLICKHOUSE_PATH to another directory, or use a ClickHouse server \\(CLICKHOUSE_URL\\)\\.\\n$`));
      expect(result.stderr).not.toMatch(/DB::Exception|Cannot lock/);
    }
    // The platform itself is untouched: it still answers.
    expect((await fetch(`${stack.service.url}/readyz`)).status).toBe(200);
  });
});
