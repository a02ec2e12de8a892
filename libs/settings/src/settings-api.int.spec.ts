import { Logger, Module, type INestApplication } from '@nestjs/common';
import { ApiKeysService, AuthModule, TokensService } from '@audit/auth';
import { MessagingModule, STREAMS } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { createHttpApp, PlatformModule } from '@audit/platform';
import { connectTestBus, createTestDatabase, readStream, runCliProcess, startTestNats, type TestBus, type TestDatabase, type TestNats } from '@audit/testing';
import { SettingsApiModule } from './settings.module';

jest.setTimeout(120_000);
Logger.overrideLogger(['error']);

@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, SettingsApiModule] })
class SettingsAppModule {}

interface Recorded {
  organizationId: string;
  actionType: string;
  userId: string | null;
  metadata: Record<string, unknown>;
}

describe('settings API: ingest keys and hidden parameters (real Postgres and NATS)', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let bus: TestBus;
  let app: INestApplication;
  let base: string;
  let admin: string;
  let otherAdmin: string;
  let member: string;

  beforeAll(async () => {
    db = await createTestDatabase('audit_settings_api');
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    Object.assign(process.env, { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 's'.repeat(32), LOG_LEVEL: 'error' });
    app = await createHttpApp(SettingsAppModule, 'settings-test', { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    const tokens = app.get(TokensService);
    admin = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 3600);
    otherAdmin = await tokens.sign({ organizationId: 'globex', role: 'admin', userId: 'hank' }, 3600);
    member = await tokens.sign({ organizationId: 'acme', role: 'member', userId: 'bob' }, 3600);
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.destroy();
    await db?.drop();
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field below
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const recorded = async (): Promise<Recorded[]> =>
    (await readStream(bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as Recorded).filter((e) => e.actionType === 'UPDATE_ORGANIZATION');

  it('creates a key shown once, lists it without the key, records who created it, and ingest accepts the key', async () => {
    const created = await call(admin, 'POST', '/v1/settings/keys', { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ organizationId: 'acme', name: 'ci', revokedAt: null, key: expect.stringMatching(/^audk_[A-Za-z0-9_-]{43}$/) });
    expect(created.body.prefix).toBe(created.body.key.slice(0, 12));
    const listed = await call(admin, 'GET', '/v1/settings/keys');
    expect(listed.body.items).toEqual([{ id: created.body.id, organizationId: 'acme', name: 'ci', prefix: created.body.prefix, createdAt: created.body.createdAt, revokedAt: null }]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    await expect(app.get(ApiKeysService).verify(created.body.key)).resolves.toEqual({ keyId: created.body.id, organizationId: 'acme' });
    expect(await recorded()).toContainEqual(
      expect.objectContaining({ organizationId: 'acme', userId: 'ada', metadata: { setting: 'ingestKeys', via: 'api', change: 'create', keyId: created.body.id, name: 'ci' } }),
    );
    // Another organization sees none of it.
    expect((await call(otherAdmin, 'GET', '/v1/settings/keys')).body).toEqual({ items: [] });
  });

  it("revokes its own key once; another organization's key, an unknown id or a second revoke is 404, a malformed id 400", async () => {
    const { body: key } = await call(admin, 'POST', '/v1/settings/keys', {});
    expect(key.name).toBe('default');
    expect(await call(otherAdmin, 'DELETE', `/v1/settings/keys/${key.id}`)).toMatchObject({ status: 404 });
    expect(await call(admin, 'DELETE', '/v1/settings/keys/0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d')).toMatchObject({ status: 404 });
    const bad = await call(admin, 'DELETE', '/v1/settings/keys/nope');
    expect(bad).toMatchObject({ status: 400, body: { error: { details: [{ path: 'id' }] } } });
    const revoked = await call(admin, 'DELETE', `/v1/settings/keys/${key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    await expect(app.get(ApiKeysService).verify(key.key)).resolves.toBeNull();
    expect(await call(admin, 'DELETE', `/v1/settings/keys/${key.id}`)).toMatchObject({ status: 404 });
    const revokes = (await recorded()).filter((e) => e.metadata.change === 'revoke');
    expect(revokes).toEqual([expect.objectContaining({ organizationId: 'acme', userId: 'ada', metadata: { setting: 'ingestKeys', via: 'api', change: 'revoke', keyId: key.id, name: 'default' } })]);
  });

  it.each([
    ['a number', { name: 5 }, 'name'],
    ['empty', { name: '' }, 'name'],
    ['with NUL', { name: 'a\u0000b' }, 'name'],
    ['201 characters', { name: 'x'.repeat(201) }, 'name'],
    ['an unknown field', { nam: 'ci' }, 'nam'],
    ['an array', ['ci'], ''],
  ])('refuses a key body (%s) with a 400 naming the field, and creates nothing', async (_label, body, path) => {
    const before = (await call(admin, 'GET', '/v1/settings/keys')).body.items.length;
    const res = await call(admin, 'POST', '/v1/settings/keys', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path }));
    expect((await call(admin, 'GET', '/v1/settings/keys')).body.items).toHaveLength(before);
  });

  it('replaces the hidden-parameter queries, records what was added and removed, and records nothing when nothing changes', async () => {
    expect((await call(admin, 'GET', '/v1/settings/hidden-parameters')).body).toEqual({ organizationId: 'acme', queries: [] });
    const first = await call(admin, 'PUT', '/v1/settings/hidden-parameters', { queries: ['getSecrets', 'listCards'] });
    expect(first.status).toBe(200);
    expect(first.body.queries.map((q: { queryName: string }) => q.queryName)).toEqual(['getSecrets', 'listCards']);
    const second = await call(admin, 'PUT', '/v1/settings/hidden-parameters', { queries: ['listCards', 'payroll'] });
    expect(second.body.queries.map((q: { queryName: string }) => q.queryName)).toEqual(['listCards', 'payroll']);
    // The kept rule keeps its date.
    expect(second.body.queries[0].since).toBe(first.body.queries[1].since);
    const before = (await recorded()).length;
    await call(admin, 'PUT', '/v1/settings/hidden-parameters', { queries: ['payroll', 'listCards'] });
    expect((await recorded()).length).toBe(before);
    const changes = (await recorded()).filter((e) => e.metadata.setting === 'hiddenParameters').map((e) => e.metadata);
    expect(changes).toEqual([
      { setting: 'hiddenParameters', via: 'api', added: ['getSecrets', 'listCards'], removed: [] },
      { setting: 'hiddenParameters', via: 'api', added: ['payroll'], removed: ['getSecrets'] },
    ]);
    expect((await call(otherAdmin, 'GET', '/v1/settings/hidden-parameters')).body).toEqual({ organizationId: 'globex', queries: [] });
  });

  it.each([
    ['no queries', {}, 'queries'],
    ['queries not a list', { queries: 'getSecrets' }, 'queries'],
    ['a name not a string', { queries: ['a', 7] }, 'queries[1]'],
    ['a name twice', { queries: ['a', 'a'] }, 'queries[1]'],
    ['an empty name', { queries: [''] }, 'queries[0]'],
    ['a name of 1025 characters', { queries: ['x'.repeat(1025)] }, 'queries[0]'],
    ['201 names', { queries: Array.from({ length: 201 }, (_, i) => `q${i}`) }, 'queries'],
    ['an unknown field', { queries: [], extra: true }, 'extra'],
  ])('refuses hidden parameters with %s: a 400 naming the field, nothing changed', async (_label, body, path) => {
    const before = (await call(admin, 'GET', '/v1/settings/hidden-parameters')).body;
    const res = await call(admin, 'PUT', '/v1/settings/hidden-parameters', body);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path }));
    expect((await call(admin, 'GET', '/v1/settings/hidden-parameters')).body).toEqual(before);
  });

  it('refuses a query parameter the settings do not take, naming it, after the token is checked', async () => {
    for (const path of ['/v1/settings/keys?limit=5', '/v1/settings/hidden-parameters?q=%00']) {
      const res = await call(admin, 'GET', path);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: path.split('?')[1].split('=')[0] })]);
    }
    expect((await fetch(`${base}/v1/settings/keys?limit=5`)).status).toBe(401);
  });

  it('refuses a query parameter a change does not take (POST, PUT, DELETE), naming it, and changes nothing', async () => {
    const named = (path: string) => ({ status: 400, body: { error: { details: [expect.objectContaining({ path })] } } });
    const keysBefore = (await call(admin, 'GET', '/v1/settings/keys')).body.items.length;
    // The name in the query, where a form might put it: before, a key named "default" was created.
    expect(await call(admin, 'POST', '/v1/settings/keys?name=ci', {})).toMatchObject(named('name'));
    expect((await call(admin, 'GET', '/v1/settings/keys')).body.items).toHaveLength(keysBefore);
    const { body: key } = await call(admin, 'POST', '/v1/settings/keys', { name: 'kept' });
    expect(await call(admin, 'DELETE', `/v1/settings/keys/${key.id}?force=true`)).toMatchObject(named('force'));
    await expect(app.get(ApiKeysService).verify(key.key)).resolves.toEqual({ keyId: key.id, organizationId: 'acme' });
    const hidden = (await call(admin, 'GET', '/v1/settings/hidden-parameters')).body;
    expect(await call(admin, 'PUT', '/v1/settings/hidden-parameters?dryRun=1', { queries: ['never-applied'] })).toMatchObject(named('dryRun'));
    expect((await call(admin, 'GET', '/v1/settings/hidden-parameters')).body).toEqual(hidden);
  });

  it('lets no member and no anonymous caller read or change settings', async () => {
    expect((await call(member, 'GET', '/v1/settings/keys')).status).toBe(403);
    expect((await call(member, 'POST', '/v1/settings/keys', {})).status).toBe(403);
    expect((await call(member, 'PUT', '/v1/settings/hidden-parameters', { queries: [] })).status).toBe(403);
    expect((await fetch(`${base}/v1/settings/keys`)).status).toBe(401);
  });

  it('the CLI creates, revokes and hides through the same use cases: each change is recorded, with via "cli"', async () => {
    const env = { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 's'.repeat(32), LOG_LEVEL: 'warn' };
    const run = async (args: string[]) => {
      const result = await runCliProcess([...args, '--json'], env);
      if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, string>;
    };
    const created = await run(['keys', 'create', '--org', 'initech', '--name', 'batch']);
    await run(['keys', 'revoke', '--id', created.id]);
    await run(['redaction', 'hide-parameters', '--org', 'initech', '--query', 'getSalary']);
    const initech = (await recorded()).filter((e) => e.organizationId === 'initech');
    expect(initech.map((e) => [e.userId, e.metadata])).toEqual([
      [null, { setting: 'ingestKeys', via: 'cli', change: 'create', keyId: created.id, name: 'batch' }],
      [null, { setting: 'ingestKeys', via: 'cli', change: 'revoke', keyId: created.id, name: 'batch' }],
      [null, { setting: 'hiddenParameters', via: 'cli', added: ['getSalary'], removed: [] }],
    ]);
  });

  it('refuses a change it cannot record (503) and makes none: the bus down means no key is created', async () => {
    const before = (await call(admin, 'GET', '/v1/settings/keys')).body.items.length;
    await nats.stop();
    try {
      const res = await call(admin, 'POST', '/v1/settings/keys', { name: 'unseen' });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('BUS_UNAVAILABLE');
    } finally {
      await nats.start();
    }
    expect((await call(admin, 'GET', '/v1/settings/keys')).body.items).toHaveLength(before);
  });
});
