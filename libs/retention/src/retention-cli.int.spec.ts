import { STREAMS } from '@audit/messaging';
import { connectTestBus, createTestDatabase, readStream, runCliProcess, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

jest.setTimeout(120_000);

/** `npm run cli -- retention …` as an operator runs it: a child process against a private database. */
describe('retention CLI', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('audit_retention_cli');
    nats = await startTestNats();
    env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUDIT_RETENTION_DAYS: '90', LOG_LEVEL: 'warn' };
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  });

  const json = async <T = Record<string, unknown>>(args: string[]): Promise<T> => {
    const result = await runCliProcess([...args, '--json'], env);
    if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  it('sets, shows, holds and releases an organization\'s retention', async () => {
    expect(await json(['retention', 'show', '--org', 'acme'])).toEqual({ organizationId: 'acme', days: null, effectiveDays: 90, defaultDays: 90, legalHold: null });
    expect(await json(['retention', 'set', '--org', 'acme', '--days', '30'])).toMatchObject({ organizationId: 'acme', days: 30, effectiveDays: 30 });
    const held = await json<{ legalHold: { reason: string; heldAt: string } }>(['retention', 'hold', '--org', 'acme', '--reason', 'case 42']);
    expect(held.legalHold.reason).toBe('case 42');
    expect(await json(['retention', 'show'])).toEqual({
      defaultDays: 90,
      items: [{ organizationId: 'acme', days: 30, effectiveDays: 30, defaultDays: 90, legalHold: { reason: 'case 42', heldAt: held.legalHold.heldAt } }],
    });
    expect(await json(['retention', 'release', '--org', 'acme'])).toMatchObject({ legalHold: null, days: 30 });
    expect(await json(['retention', 'set', '--org', 'acme', '--days', 'default'])).toMatchObject({ days: null, effectiveDays: 90 });

    const human = await runCliProcess(['retention', 'show', '--org', 'acme'], env);
    expect(human.stdout).toBe('acme: 90 days (default)\n');

    // Each change was recorded before it was made, as the settings API records its own; showing records nothing.
    const bus = await connectTestBus(nats.url);
    try {
      const recorded = (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as { organizationId: string; actionType: string; userId: unknown; metadata: unknown });
      expect(recorded.map((e) => [e.organizationId, e.actionType, e.userId, e.metadata])).toEqual([
        ['acme', 'UPDATE_ORGANIZATION', null, { setting: 'retention', days: 30, previousDays: null, via: 'cli' }],
        ['acme', 'UPDATE_ORGANIZATION', null, { setting: 'legalHold', held: true, reason: 'case 42', via: 'cli' }],
        ['acme', 'UPDATE_ORGANIZATION', null, { setting: 'legalHold', held: false, via: 'cli' }],
        ['acme', 'UPDATE_ORGANIZATION', null, { setting: 'retention', days: null, previousDays: 30, via: 'cli' }],
      ]);
    } finally {
      await bus.close();
    }
  });

  it('refuses bad options with a usage error naming them', async () => {
    const bad = await runCliProcess(['retention', 'set', '--org', 'acme', '--days', '1.5'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`error: option '--days <n|default>' argument '1.5' is invalid. Expected a whole number of days`);
    const missing = await runCliProcess(['retention', 'hold', '--org', 'acme'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`error: required option '--reason <text>' not specified`);
    const notHeld = await runCliProcess(['retention', 'release', '--org', 'nobody'], env);
    expect(notHeld.code).toBe(2);
    expect(notHeld.stderr).toContain('not on legal hold');
  });

  it('run --dry-run prints what would go per organization and store and deletes nothing; run purges it', async () => {
    await db.query(
      `INSERT INTO audit_trail_events (id, "organizationId", "actionType", "createdAt", "receivedAt")
       SELECT gen_random_uuid(), org, 'LOGIN', now() - make_interval(days => d), now()
       FROM (VALUES ('old-org', 120), ('old-org', 100), ('old-org', 10), ('held-org', 200)) v(org, d)`,
    );
    await json(['retention', 'hold', '--org', 'held-org', '--reason', 'audit']);
    const dry = await json<{ dryRun: boolean; ok: boolean; items: Array<{ store: string; organizationId: string; rows: number }>; kept: unknown[] }>(['retention', 'run', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(dry.ok).toBe(true);
    expect(dry.items.filter((i) => i.store === 'postgres').map((i) => [i.organizationId, i.rows])).toEqual([['old-org', 2]]);
    expect(dry.kept).toEqual([{ store: 'postgres', organizationId: 'held-org', reason: 'hold' }]);
    expect(await db.query('SELECT count(*)::int AS n FROM audit_trail_events')).toEqual([{ n: 4 }]);

    const human = await runCliProcess(['retention', 'run'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/postgres\s+old-org\s+2 gone/);
    expect(human.stdout).toMatch(/postgres\s+held-org\s+kept: legal hold/);
    expect(await db.query(`SELECT "organizationId" AS org, count(*)::int AS n FROM audit_trail_events GROUP BY 1 ORDER BY 1`)).toEqual([
      { org: 'held-org', n: 1 },
      { org: 'old-org', n: 1 },
    ]);
    expect(await db.query(`SELECT "dryRun", "organizationId", rows::int FROM retention_runs WHERE store = 'postgres' ORDER BY id`)).toEqual([
      { dryRun: true, organizationId: 'old-org', rows: 2 },
      { dryRun: false, organizationId: 'old-org', rows: 2 },
    ]);
  });
});
