import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { decodeJwt, jwtVerify } from 'jose';
import { ACTION_TYPES } from '@audit/contracts';
import { provisionStreams, readMessagingConfig } from '@audit/messaging';
import { loadMigrations } from '@audit/clickhouse';
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
        out: { applied: MIGRATIONS.map((M) => new M().name), clickhouse: loadMigrations().map((m) => m.name) },
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

    // Revoking again fails without touching anything.
    const again = await run(['keys', 'revoke', '--id', ci.id, '--json']);
    expect({ code: again.code, stdout: JSON.parse(again.stdout) as unknown }).toEqual({ code: 1, stdout: { error: `no active key with id ${ci.id} (see "keys list")` } });
    expect(await db.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual([{ n: 3 }]);
  }, 60_000);

  it('keys list prints a table with a header, keys create what the README shows; an id or organization that cannot be one is a usage error', async () => {
    type Created = { key: string; id: string };
    const first = await json<Created>(['keys', 'create', '--org', 'table-org', '--name', 'first']);
    const second = await json<Created>(['keys', 'create', '--org', 'table-org']);
    await json(['keys', 'revoke', '--id', first.id]);
    const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys`);
    const [table, human, notAnId, badOrg] = await Promise.all([
      run(['keys', 'list', '--org', 'table-org']),
      run(['keys', 'create', '--org', 'readme-org']),
      run(['keys', 'revoke', '--id', 'nope']),
      run(['keys', 'create', '--org', 'not a valid org!', '--json']),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +\| organization \| name +\| prefix +\| created +\| status$/);
    expect(lines[1]).toMatch(/^-{36}(-\+-+){5}$/);
    expect(lines.slice(2).map((l) => l.split(' | ').map((c) => c.trim()))).toEqual([
      [first.id, 'table-org', 'first', `${first.key.slice(0, 12)}…`, expect.stringMatching(/^\d{4}-\d\d-\d\dT/), expect.stringMatching(/^revoked \d{4}-/)],
      [second.id, 'table-org', 'default', `${second.key.slice(0, 12)}…`, expect.stringMatching(/^\d{4}-\d\d-\d\dT/), 'active'],
    ]);

    expect({ code: human.code, stderr: human.stderr }).toEqual({ code: 0, stderr: '' });
    expect(human.stdout).toMatch(/^Ingest key for organization "readme-org" \(shown once, store it now\):\naudk_[A-Za-z0-9_-]{43}\nid: [0-9a-f-]{36}\n$/);

    expect({ code: notAnId.code, stderr: notAnId.stderr }).toEqual({
      code: 2,
      stderr: `error: option '--id <id>' argument 'nope' is invalid. Expected an id as "keys list" prints it (a UUID).\n(add --help for the options and examples)\n`,
    });
    expect({ code: badOrg.code, stdout: badOrg.stdout }).toEqual({ code: 2, stdout: '' });
    expect(badOrg.stderr).toContain(`error: option '--org <org>' argument 'not a valid org!' is invalid.`);
    expect(await db.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual([{ n: before[0].n + 1 }]);
  }, 60_000);

  it('a change the bus cannot record is refused before it is made: keys and retention exit 1 naming the bus, nothing written', async () => {
    await json(['keys', 'list']); // the schema, whichever test runs first
    const keysBefore = await db.query('SELECT id FROM api_keys ORDER BY id');
    const policiesBefore = await db.query('SELECT * FROM retention_policies ORDER BY "organizationId"');
    // Nothing listens on port 9: the bus is down as far as the CLI can tell (each change is recorded on it first).
    const down = { NATS_URL: 'nats://127.0.0.1:9' };
    for (const args of [
      ['keys', 'create', '--org', 'cli-org'],
      ['retention', 'set', '--org', 'cli-org', '--days', '30'],
      ['retention', 'hold', '--org', 'cli-org', '--reason', 'audit'],
      ['retention', 'release', '--org', 'cli-org'],
    ]) {
      const result = await run(args, down);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toContain('cannot be reached');
      expect(result.stderr).toContain(`${args[0]} ${args[1]} records each change before making it, so nothing was changed`);
      expect(result.stdout).toBe('');
    }
    expect(await db.query('SELECT id FROM api_keys ORDER BY id')).toEqual(keysBefore);
    expect(await db.query('SELECT * FROM retention_policies ORDER BY "organizationId"')).toEqual(policiesBefore);
  }, 120_000);

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
    expect({ code: human.code, out: human.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, '<since>') }).toEqual({
      code: 0,
      out: ['organization | query     | rule            | since', '-------------+-----------+-----------------+-------------------------', 'cli-org      | apiTokens | hide parameters | <since>', ''].join('\n'),
    });
    expect(notHidden.code).toBe(2);
    expect(notHidden.stderr).toContain('no rule hides the parameters of "getSecrets" for "cli-org"');
  }, 60_000);

  it('exits 2 on bad usage with a two-line message naming the option, starts nothing and changes nothing; --help exits 0', async () => {
    const cases: Array<[string[], string]> = [
      [['keys', 'create', '--json'], "error: required option '--org <org>' not specified"],
      [['frobnicate'], "error: unknown command 'frobnicate'"],
      [['token', '--org', 'cli-org', '--role', 'admin', '--ttl', '25h'], 'error: --ttl is too long: at most 86400 seconds (AUTH_MAX_TOKEN_LIFETIME'],
      [['retention', 'set', '--org', 'cli-org', '--days', '-5'], "error: option '--days <n|default>' argument '-5' is invalid."],
    ];
    // (Every command's usage errors are checked in process by libs/cli run-cli.spec.ts; these few as a process.)
    const keysBefore = await db.query(`SELECT count(*)::int AS n FROM api_keys`);
    // A DATABASE_URL nothing listens on: a command that got past its options would fail with exit 1, not 2.
    const results = await Promise.all(cases.map(([args]) => run(args, { DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none' })));
    results.forEach((result, i) => {
      const [args, message] = cases[i];
      expect({ args, code: result.code, stdout: result.stdout, first: result.stderr.split('\n')[0].slice(0, message.length) }).toEqual({ args, code: 2, stdout: '', first: message });
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(2);
    });
    const [none, help, unreachable] = await Promise.all([
      run([]),
      run(['retention', 'set', '--help']),
      run(['keys', 'list', '--json'], { DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:9/none' }),
    ]);
    // Valid usage, no Postgres there: said within seconds (three tries), naming where it looked but not the password.
    expect({ code: unreachable.code, stdout: JSON.parse(unreachable.stdout) as unknown }).toEqual({
      code: 1,
      stdout: { error: expect.stringMatching(/^Postgres is not reachable at 127\.0\.0\.1:9\/none \(connect ECONNREFUSED.*\); is it running, and is DATABASE_URL right\?$/) },
    });
    expect(unreachable.stderr).not.toContain(':pw@');
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 2, stdout: '' });
    expect(none.stderr).toContain('Usage: npm run cli -- [options] [command]');
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: npm run cli -- retention set [options]');
    expect(help.stdout).toContain('$ npm run cli -- retention set --org acme --days 90');
    expect(await db.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual(keysBefore);
  }, 60_000);

  it('token and sql start no Postgres and no nats-server of their own on embedded defaults', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'audit-cli-data-'));
    try {
      // Nothing named, nothing listening on the embedded ports: a command that needed either would start it and say so.
      const unset = { DATABASE_URL: '', NATS_URL: '', DATA_DIR: dataDir, EMBEDDED_PG_PORT: '9', EMBEDDED_NATS_PORT: '9', AUTH_JWT_SECRET: SECRET };
      const [token, sql] = await Promise.all([run(['token', '--org', 'cli-org', '--role', 'admin'], unset), run(['sql', 'SELECT 41 + 1 AS answer', '--json'], unset)]);
      expect({ code: token.code, stderr: token.stderr }).toEqual({ code: 0, stderr: '' });
      expect(decodeJwt(token.stdout.trim())['org']).toBe('cli-org');
      expect({ code: sql.code, stdout: sql.stdout, stderr: sql.stderr }).toEqual({ code: 0, stdout: '[{"answer":42}]\n', stderr: '' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
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
      // No writer runs here: demo waits (--wait 2s) and says the writer has not caught up, with nothing lost.
      const result = await run(['demo', '--org', 'demo-org', '--events', '100', '--wait', '2s', '--json'], {
        NATS_USER: emitter.user,
        NATS_PASSWORD: emitter.password,
        NATS_INBOX_PREFIX: emitter.inboxPrefix,
      });
      expect({ code: result.code, stdout: JSON.parse(result.stdout) as unknown }).toEqual({
        code: 0,
        stdout: { organizationId: 'demo-org', published: 100, seconds: expect.any(Number), stored: 0, caughtUp: false, waitedSeconds: expect.any(Number) },
      });
      expect(result.stderr).toMatch(/^\rpublished \[#{30}\] 100% 100\/100 events\n/);
      expect(result.stderr).toMatch(/\rstored {4}\[\.{30}\] +0% 0\/100 events\n$/);
      // Another organization's emitter user is refused the same demo.
      const other = await nats.emitter('other-org');
      const refused = await run(['demo', '--org', 'demo-org', '--events', '1', '--wait', '0s'], {
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
      // Nothing of demo-org reached the canonical stream directly (the key and redaction commands above
      // record their own UPDATE_ORGANIZATION events there, for their organizations).
      const canonical = await jsm.streams.info('AUDIT_EVENTS', { subjects_filter: 'audit.events.demo-org.>' });
      expect(canonical.state.subjects ?? {}).toEqual({});
    } finally {
      await nc.close();
    }
  }, 60_000);
});
