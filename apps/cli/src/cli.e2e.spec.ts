import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decodeJwt, jwtVerify } from 'jose';
import { ACTION_TYPES } from '@audit/contracts';
import { provisionStreams, readMessagingConfig } from '@audit/messaging';
import { MIGRATIONS } from '@audit/persistence';
import { createTestDatabase, runCliProcess, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

const SECRET = 'cli-test-secret-that-is-long-enough-0123456789';

/** The CLI run as an operator runs it (`npm run cli -- ...`, a child process) against a private database and bus. */
describe('cli', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let env: Record<string, string>;

  const run = (args: string[], extra: Record<string, string> = {}) => runCliProcess(args, { ...env, ...extra });
  /** Runs a command with --json and returns its parsed output, failing with stderr if it did not exit 0. */
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run([...args, '--json']);
    if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr}${result.stdout}`);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_cli');
    nats = await startTestNats();
    env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET };
  }, 60_000);

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  }, 30_000);

  it('migrate applies the schema once, then reports it is up to date', async () => {
    const fresh = await createTestDatabase('audit_cli_migrate');
    const clickhouse = mkdtempSync(path.join(tmpdir(), 'audit-cli-ch-'));
    try {
      const first = await runCliProcess(['migrate', '--json'], { ...env, DATABASE_URL: fresh.url, CLICKHOUSE_PATH: clickhouse });
      expect({ code: first.code, out: JSON.parse(first.stdout) }).toEqual({
        code: 0,
        out: { applied: MIGRATIONS.map((M) => new M().name), clickhouse: ['001_audit_events', '002_hourly_rollup', '003_daily_user_rollup', '004_event_id_registry'] },
      });
      const tables = await fresh.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('audit_trail_events', 'users', 'api_keys', 'redaction_rules', 'schema_migrations') ORDER BY 1`,
      );
      // audit_trail_events is partitioned, so it is in pg_class but not always in pg_tables: ask for it alone.
      expect(await fresh.query(`SELECT to_regclass('audit_trail_events') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);
      expect(tables.map((r) => r.t).filter((t) => t !== 'audit_trail_events')).toEqual(['api_keys', 'redaction_rules', 'schema_migrations', 'users']);

      const second = await runCliProcess(['migrate'], { ...env, DATABASE_URL: fresh.url, CLICKHOUSE_PATH: clickhouse });
      expect({ code: second.code, out: second.stdout }).toEqual({ code: 0, out: 'schema is up to date\n' });
    } finally {
      await fresh.drop();
      rmSync(clickhouse, { recursive: true, force: true });
    }
  }, 60_000);

  it('keys create, list and revoke, as JSON; the key is shown once and never stored or listed', async () => {
    type Created = { key: string; id: string; organizationId: string; name: string };
    const [ci, other] = await Promise.all([
      json<Created>(['keys', 'create', '--org', 'cli-org', '--name', 'ci']),
      json<Created>(['keys', 'create', '--org', 'cli-org']),
    ]);
    const elsewhere = await json<Created>(['keys', 'create', '--org', 'other-org']);
    expect(ci).toEqual({ key: expect.stringMatching(/^audk_[A-Za-z0-9_-]{43}$/), id: expect.stringMatching(/^[0-9a-f-]{36}$/), organizationId: 'cli-org', name: 'ci' });
    expect(other).toMatchObject({ organizationId: 'cli-org', name: 'default' });
    expect(new Set([ci.key, other.key, elsewhere.key]).size).toBe(3);

    // Only the hash is stored.
    const stored = await db.query<{ id: string; keyHash: string; keyPrefix: string }>(`SELECT id, "keyHash", "keyPrefix" FROM api_keys WHERE id = $1`, [ci.id]);
    expect(stored).toEqual([{ id: ci.id, keyHash: createHash('sha256').update(ci.key).digest('hex'), keyPrefix: ci.key.slice(0, 12) }]);
    expect(await db.query(`SELECT id FROM api_keys WHERE "keyHash" = $1 OR "keyPrefix" = $1`, [ci.key])).toEqual([]);

    const listed = await run(['keys', 'list', '--org', 'cli-org', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(ci.key);
    expect(listed.stdout).not.toContain(stored[0].keyHash);
    const { items } = JSON.parse(listed.stdout) as { items: Array<Record<string, unknown>> };
    expect(items.map((k) => k['id']).sort()).toEqual([ci.id, other.id].sort());
    expect(items.find((k) => k['id'] === ci.id)).toEqual({
      id: ci.id,
      organizationId: 'cli-org',
      name: 'ci',
      keyPrefix: ci.key.slice(0, 12),
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      revokedAt: null,
    });

    expect(await json(['keys', 'revoke', '--id', ci.id])).toEqual({ revoked: ci.id });
    const after = await json<{ items: Array<{ id: string; revokedAt: string | null }> }>(['keys', 'list', '--org', 'cli-org']);
    expect(after.items.find((k) => k.id === ci.id)?.revokedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(after.items.find((k) => k.id === other.id)?.revokedAt).toBeNull();
    expect(await db.query(`SELECT id FROM api_keys WHERE "revokedAt" IS NOT NULL`)).toEqual([{ id: ci.id }]);

    // Revoking again fails without touching anything; so does an organization id that cannot be one.
    const [again, badOrg] = await Promise.all([run(['keys', 'revoke', '--id', ci.id]), run(['keys', 'create', '--org', 'not a valid org!', '--json'])]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`no active key with id ${ci.id}`);
    expect(badOrg.code).toBe(1);
    expect(JSON.parse(badOrg.stdout)).toEqual({ error: expect.stringContaining('organizationId must match') });
    expect(await db.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual([{ n: 3 }]);
  }, 60_000);

  it('token --json mints an HS256 token whose claims are org, role and sub, honouring --ttl', async () => {
    type Minted = { token: string; expiresAt: string };
    const [short, standard] = await Promise.all([
      json<Minted>(['token', '--org', 'cli-org', '--role', 'admin', '--sub', 'user-7', '--ttl', '15m']),
      json<Minted>(['token', '--org', 'cli-org', '--role', 'member']),
    ]);
    const verified = await jwtVerify(short.token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(verified.protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = verified.payload;
    expect({ org: claims['org'], role: claims['role'], sub: claims.sub }).toEqual({ org: 'cli-org', role: 'admin', sub: 'user-7' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(15 * 60);
    expect(Math.abs(Number(claims.iat) * 1000 - Date.now())).toBeLessThan(30_000);
    expect(Math.abs(Date.parse(short.expiresAt) - Number(claims.exp) * 1000)).toBeLessThan(2_000);

    const member = decodeJwt(standard.token);
    expect({ org: member['org'], role: member['role'], sub: member.sub, ttl: Number(member.exp) - Number(member.iat) }).toEqual({
      org: 'cli-org',
      role: 'member',
      sub: undefined,
      ttl: 3600,
    });
    // Signed with AUTH_JWT_SECRET, not with anything else.
    await expect(jwtVerify(standard.token, new TextEncoder().encode(`${SECRET}-other`))).rejects.toThrow();
  }, 60_000);

  it('redaction hide-parameters, list and show-parameters', async () => {
    type Rule = { organizationId: string; queryName: string; hideParameters: boolean };
    const [a, b] = await Promise.all([
      json<Rule>(['redaction', 'hide-parameters', '--org', 'cli-org', '--query', 'getSecrets']),
      json<Rule>(['redaction', 'hide-parameters', '--org', 'cli-org', '--query', 'apiTokens']),
    ]);
    expect(a).toEqual({ organizationId: 'cli-org', queryName: 'getSecrets', hideParameters: true });
    expect(b).toEqual({ organizationId: 'cli-org', queryName: 'apiTokens', hideParameters: true });
    // Hiding twice is harmless; rules belong to one organization.
    const [twice] = await Promise.all([
      json(['redaction', 'hide-parameters', '--org', 'cli-org', '--query', 'getSecrets']),
      json(['redaction', 'hide-parameters', '--org', 'other-org', '--query', 'getSecrets']),
    ]);
    expect(twice).toEqual(a);

    type Listed = { items: Array<{ organizationId: string; queryName: string; kind: string; createdAt: string }> };
    const listed = await json<Listed>(['redaction', 'list', '--org', 'cli-org']);
    expect(listed.items.map(({ organizationId, queryName, kind }) => ({ organizationId, queryName, kind }))).toEqual([
      { organizationId: 'cli-org', queryName: 'apiTokens', kind: 'hide_parameters' },
      { organizationId: 'cli-org', queryName: 'getSecrets', kind: 'hide_parameters' },
    ]);

    expect(await json(['redaction', 'show-parameters', '--org', 'cli-org', '--query', 'getSecrets'])).toEqual({
      organizationId: 'cli-org',
      queryName: 'getSecrets',
      hideParameters: false,
    });
    expect(await db.query(`SELECT "organizationId", "queryName" FROM redaction_rules ORDER BY 1, 2`)).toEqual([
      { organizationId: 'cli-org', queryName: 'apiTokens' },
      { organizationId: 'other-org', queryName: 'getSecrets' },
    ]);

    const [human, notHidden] = await Promise.all([
      run(['redaction', 'list', '--org', 'cli-org']),
      run(['redaction', 'show-parameters', '--org', 'cli-org', '--query', 'getSecrets']),
    ]);
    expect({ code: human.code, out: human.stdout }).toEqual({ code: 0, out: 'cli-org  apiTokens  hide parameters\n' });
    expect(notHidden.code).not.toBe(0);
    expect(notHidden.stderr).toContain('no rule hides the parameters of "getSecrets" for "cli-org"');
  }, 60_000);

  it('exits 2 on bad usage with a message naming the option, and changes nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['keys', 'create', '--json'], '--org is required'],
      [['frobnicate'], 'unknown command "frobnicate"'],
      [['token', '--org', 'cli-org', '--role', 'owner'], '--role must be one of admin, member'],
      [['token', '--org', 'cli-org', '--role', 'admin', '--ttl', 'forever'], '--ttl'],
      [['token', '--org', 'cli-org', '--role', 'admin', '--ttl', '25h'], '--ttl must be a whole number of seconds, at most 86400 (AUTH_MAX_TOKEN_LIFETIME'],
      [['token', '--org', 'cli-org', '--role', 'admin', '--sub', ''], '--sub must not be empty'],
      [['redaction', 'hide-parameters', '--org', 'cli-org'], '--query is required'],
      [['keys', 'list', '--bogus'], '--bogus'],
      [['demo', '--org', 'cli-org', '--events', '0'], '--events must be an integer'],
    ];
    const keysBefore = await db.query(`SELECT count(*)::int AS n FROM api_keys`);
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((result, i) => {
      const [args, message] = cases[i];
      expect({ args, code: result.code, names: result.stderr.includes(message) }).toEqual({ args, code: 2, names: true });
      expect(result.stderr).toContain('usage: npm run cli -- <command>');
      expect({ args, stdout: result.stdout }).toEqual({ args, stdout: '' });
    });
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: npm run cli -- <command>');
    expect(await db.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual(keysBefore);
  }, 60_000);

  it('streams provision creates the streams as the provisioner, and is refused to a service user', async () => {
    const refused = await run(['streams', 'provision'], nats.env('writer'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Permissions Violation/i);
    const out = await run(['streams', 'provision', '--json'], nats.env('provisioner'));
    expect({ code: out.code, out: JSON.parse(out.stdout) as unknown }).toEqual({ code: 0, out: { streams: ['AUDIT_INGEST', 'AUDIT_EVENTS', 'AUDIT_CHECKPOINTS', 'AUDIT_DLQ'] } });
  }, 60_000);

  it('demo --org X --events 100 publishes 100 events of every action type on audit.ingest.X', async () => {
    // The platform provisions the streams when it starts; do what it does, without consuming anything.
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await provisionStreams(jsm, readMessagingConfig({ NATS_URL: nats.url }));

      // As the organization's emitter user, which may publish audit.ingest.demo-org and nothing else.
      const emitter = await nats.emitter('demo-org');
      const result = await run(['demo', '--org', 'demo-org', '--events', '100', '--json'], {
        NATS_USER: emitter.user,
        NATS_PASSWORD: emitter.password,
        NATS_INBOX_PREFIX: emitter.inboxPrefix,
      });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ organizationId: 'demo-org', published: 100, seconds: expect.any(Number) });
      // Another organization's emitter user is refused the same demo.
      const other = await nats.emitter('other-org');
      const refused = await run(['demo', '--org', 'demo-org', '--events', '1'], {
        NATS_USER: other.user,
        NATS_PASSWORD: other.password,
        NATS_INBOX_PREFIX: other.inboxPrefix,
      });
      expect(refused.code).toBe(1);

      const { state } = await jsm.streams.info('AUDIT_INGEST');
      expect(state.messages).toBe(100);
      const events: Array<{ id: string; organizationId: string; actionType: string }> = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const message = await jsm.streams.getMessage('AUDIT_INGEST', { seq });
        if (!message) throw new Error(`AUDIT_INGEST has no message ${seq}`);
        expect(message.subject).toBe('audit.ingest.demo-org');
        events.push(JSON.parse(new TextDecoder().decode(message.data)));
      }
      expect(events).toHaveLength(100);
      expect(new Set(events.map((e) => e.id)).size).toBe(100);
      expect(events.every((e) => e.organizationId === 'demo-org')).toBe(true);
      expect([...new Set(events.map((e) => e.actionType))].sort()).toEqual([...ACTION_TYPES].sort());
      expect((await jsm.streams.info('AUDIT_EVENTS')).state.messages).toBe(0);
    } finally {
      await nc.close();
    }
  }, 60_000);
});
