import type { AuditEvent } from '@audit/contracts';
import { STREAMS } from '@audit/messaging';
import { readStream } from '@audit/testing';
import { startAlertsStack, type AlertsStack } from '@audit/testing-pipeline';
import { AlertsCatalog } from './alerts-catalog.service';
import type { AlertView, SavedSearchView } from './model';

jest.setTimeout(120_000);

const SECRET = 'alert-secret-never-shown-0123';
// A public address (no DNS): the network guard lets it through; nothing fires here, so nothing is sent to it.
const PUBLIC_URL = 'https://93.184.216.34/alert-hook';
const CONDITION = { kind: 'count', atLeast: 6, windowMinutes: 60, perUser: true };
const ALERT = { name: 'bulk export', query: 'action:PAGE_EXPORT', condition: CONDITION, webhook: { url: PUBLIC_URL, secret: SECRET } };

type ErrorBody = { error: { code: string; message: string; details: Array<{ path: string; reason: string }> } };

/** `/v1/searches` and `/v1/alerts` with the network guard on (as in production). */
describe('saved searches and alerts API', () => {
  let stack: AlertsStack;

  beforeAll(async () => {
    stack = await startAlertsStack('audit_alerts_api', { STREAMS_ALLOW_PRIVATE_NETWORKS: 'false' });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const create = async <T>(org: string, path: string, body: unknown): Promise<T> => {
    const answer = await stack.call<T>(org, 'POST', path, body);
    if (answer.status !== 201) throw new Error(`POST ${path} answered ${answer.status}: ${answer.text}`);
    return answer.body;
  };

  it('saved searches: create, list, get, replace, delete; a bad query is 400 naming the position and term', async () => {
    const saved = await create<SavedSearchView>('acme', '/v1/searches', { name: 'exports', query: 'action:PAGE_EXPORT' });
    expect(saved).toMatchObject({ name: 'exports', query: 'action:PAGE_EXPORT' });
    expect((await stack.call<{ items: SavedSearchView[] }>('acme', 'GET', '/v1/searches')).body.items.map((s) => s.id)).toEqual([saved.id]);
    const replaced = await stack.call<SavedSearchView>('acme', 'PUT', `/v1/searches/${saved.id}`, { name: 'exports', query: 'action:PAGE_EXPORT user:ada@example.com' });
    expect(replaced.status).toBe(200);
    expect((await stack.call<SavedSearchView>('acme', 'GET', `/v1/searches/${saved.id}`)).body.query).toBe('action:PAGE_EXPORT user:ada@example.com');

    const bad = await stack.call<ErrorBody>('acme', 'POST', '/v1/searches', { name: 'broken', query: 'action:PAGE_EXPORT created:>yesterday-ish' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'query', reason: expect.stringMatching(/^at character 27 \(>yesterday-ish\): created: expected a date/) }]);
    const taken = await stack.call<ErrorBody>('acme', 'POST', '/v1/searches', { name: 'exports', query: 'action:LOGIN' });
    expect(taken.body.error.details.map((d) => d.path)).toEqual(['name']);

    expect((await stack.call('acme', 'DELETE', `/v1/searches/${saved.id}`)).status).toBe(200);
    expect((await stack.call('acme', 'GET', `/v1/searches/${saved.id}`)).status).toBe(404);
  });

  it.each([
    ['no body fields at all', {}, ['condition', 'name', 'query', 'webhook']],
    ['a bad name', { ...ALERT, name: '../etc' }, ['name']],
    ['an unknown field', { ...ALERT, severity: 'high' }, ['severity']],
    ['both a query and a saved search', { ...ALERT, savedSearchId: '00000000-0000-4000-8000-000000000001' }, ['query']],
    ['a saved search id that is no UUID', { ...ALERT, query: undefined, savedSearchId: 'exports' }, ['savedSearchId']],
    ['a saved search of nobody', { ...ALERT, query: undefined, savedSearchId: '00000000-0000-4000-8000-000000000001' }, ['savedSearchId']],
    ['a query the language refuses', { ...ALERT, query: 'ip:10.0.0.0/99' }, ['query']],
    ['an empty query', { ...ALERT, query: '  ' }, ['query']],
    ['no condition', { ...ALERT, condition: undefined }, ['condition']],
    ['an unknown condition kind', { ...ALERT, condition: { kind: 'sum' } }, ['condition.kind']],
    ['a zero threshold', { ...ALERT, condition: { ...CONDITION, atLeast: 0 } }, ['condition.atLeast']],
    ['a baseline factor under 1', { ...ALERT, condition: { kind: 'baseline', factor: 0.5, minCount: 10 } }, ['condition.factor']],
    ['an unknown time zone', { ...ALERT, condition: { ...CONDITION, outsideHours: { fromHour: 8, toHour: 18, timeZone: 'Mars/Olympus' } } }, ['condition.outsideHours.timeZone']],
    ['no webhook', { ...ALERT, webhook: undefined }, ['webhook']],
    ['a webhook URL that is no URL', { ...ALERT, webhook: { url: 'hooks', secret: SECRET } }, ['webhook.url']],
    ['a webhook URL of another scheme', { ...ALERT, webhook: { url: 'ftp://93.184.216.34/x', secret: SECRET } }, ['webhook.url']],
    ['a webhook on the platform itself (loopback)', { ...ALERT, webhook: { url: 'http://127.0.0.1:3000/v1/events', secret: SECRET } }, ['webhook.url']],
    ['a webhook on cloud metadata (link-local)', { ...ALERT, webhook: { url: 'http://169.254.169.254/latest', secret: SECRET } }, ['webhook.url']],
    ['a webhook on a private network', { ...ALERT, webhook: { url: 'https://10.0.0.7/hook', secret: SECRET } }, ['webhook.url']],
    ['no secret', { ...ALERT, webhook: { url: PUBLIC_URL } }, ['webhook.secret']],
    ['a short secret', { ...ALERT, webhook: { url: PUBLIC_URL, secret: 'short' } }, ['webhook.secret']],
    ['an unknown webhook field', { ...ALERT, webhook: { url: PUBLIC_URL, secret: SECRET, method: 'PUT' } }, ['webhook.method']],
    ['enabled that is no boolean', { ...ALERT, enabled: 'yes' }, ['enabled']],
  ])('refuses %s with 400 naming each bad field, echoing no secret', async (_what, body, fields) => {
    const answer = await stack.call<ErrorBody>('acme', 'POST', '/v1/alerts', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    expect(answer.body.error.details.map((d) => d.path).sort()).toEqual(fields);
    expect(answer.text).not.toContain(SECRET);
  });

  it('an alert: created enabled, never shows its secret, stores it sealed, keeps it when a replace leaves it out', async () => {
    const alert = await create<AlertView>('acme', '/v1/alerts', ALERT);
    expect(alert).toMatchObject({ name: 'bulk export', savedSearchId: null, query: 'action:PAGE_EXPORT', condition: CONDITION, webhook: { url: PUBLIC_URL, secretSet: true }, enabled: true });
    const [row] = await stack.db.query<{ secret: string }>('SELECT secret FROM alerts WHERE id = $1', [alert.id]);
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain(SECRET);
    const disabled = await stack.call<AlertView>('acme', 'PUT', `/v1/alerts/${alert.id}`, { ...ALERT, webhook: { url: `${PUBLIC_URL}/v2` }, enabled: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ enabled: false, webhook: { url: `${PUBLIC_URL}/v2`, secretSet: true } });
    for (const answer of [disabled, await stack.call('acme', 'GET', `/v1/alerts/${alert.id}`), await stack.call('acme', 'GET', '/v1/alerts')]) expect(answer.text).not.toContain(SECRET);
    const [kept] = await stack.db.query<{ secret: string }>('SELECT secret FROM alerts WHERE id = $1', [alert.id]);
    expect(kept.secret).not.toBe(row.secret);
    expect(stack.app.get(AlertsCatalog).secretOf({ id: alert.id, sealedSecret: kept.secret })).toBe(SECRET);
    const again = await stack.call<ErrorBody>('acme', 'POST', '/v1/alerts', ALERT);
    expect(again.body.error.details.map((d) => d.path)).toEqual(['name']);
    expect((await stack.call('acme', 'DELETE', `/v1/alerts/${alert.id}`)).status).toBe(200);
    expect((await stack.call('acme', 'GET', `/v1/alerts/${alert.id}`)).status).toBe(404);
  });

  it('an alert on a saved search evaluates its current query, and the search cannot be deleted under it', async () => {
    const saved = await create<SavedSearchView>('acme', '/v1/searches', { name: 'logins', query: 'action:LOGIN' });
    const alert = await create<AlertView>('acme', '/v1/alerts', { ...ALERT, name: 'logins', query: undefined, savedSearchId: saved.id });
    expect(alert).toMatchObject({ savedSearchId: saved.id, query: 'action:LOGIN' });
    await stack.call('acme', 'PUT', `/v1/searches/${saved.id}`, { name: 'logins', query: 'action:LOGIN,LOGOUT' });
    expect((await stack.call<AlertView>('acme', 'GET', `/v1/alerts/${alert.id}`)).body.query).toBe('action:LOGIN,LOGOUT');
    const refused = await stack.call<ErrorBody>('acme', 'DELETE', `/v1/searches/${saved.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([{ path: 'id', reason: expect.stringContaining('logins') }]);
    await stack.call('acme', 'DELETE', `/v1/alerts/${alert.id}`);
    expect((await stack.call('acme', 'DELETE', `/v1/searches/${saved.id}`)).status).toBe(200);
  });

  it("keeps organizations apart: another organization's alert, search and firings are 404, its search cannot be watched", async () => {
    const saved = await create<SavedSearchView>('acme', '/v1/searches', { name: 'acme only', query: 'action:LOGIN' });
    const alert = await create<AlertView>('acme', '/v1/alerts', { ...ALERT, name: 'acme only' });
    for (const [method, path, body] of [
      ['GET', `/v1/alerts/${alert.id}`, undefined],
      ['PUT', `/v1/alerts/${alert.id}`, ALERT],
      ['DELETE', `/v1/alerts/${alert.id}`, undefined],
      ['GET', `/v1/alerts/${alert.id}/firings`, undefined],
      ['GET', `/v1/searches/${saved.id}`, undefined],
      ['PUT', `/v1/searches/${saved.id}`, { name: 'x', query: 'action:LOGIN' }],
      ['DELETE', `/v1/searches/${saved.id}`, undefined],
      ['GET', '/v1/alerts/not-a-uuid', undefined],
    ] as const) {
      expect([method, path, (await stack.call('globex', method, path, body)).status]).toEqual([method, path, 404]);
    }
    expect((await stack.call<{ items: unknown[] }>('globex', 'GET', '/v1/alerts')).body.items).toEqual([]);
    expect((await stack.call<{ items: unknown[] }>('globex', 'GET', '/v1/searches')).body.items).toEqual([]);
    expect((await stack.call<{ items: unknown[] }>('globex', 'GET', '/v1/alert-firings')).body.items).toEqual([]);
    const watching = await stack.call<ErrorBody>('globex', 'POST', '/v1/alerts', { ...ALERT, query: undefined, savedSearchId: saved.id });
    expect(watching.body.error.details.map((d) => d.path)).toEqual(['savedSearchId']);
    // The same names are free in another organization.
    expect((await stack.call('globex', 'POST', '/v1/alerts', { ...ALERT, name: 'acme only' })).status).toBe(201);
    expect((await stack.call('acme', 'GET', `/v1/alerts/${alert.id}`)).status).toBe(200);
    const limit = await stack.call<ErrorBody>('acme', 'GET', '/v1/alert-firings?limit=0');
    expect(limit.body.error.details.map((d) => d.path)).toEqual(['limit']);
  });

  it('records each change to saved searches and alerts first, as an UPDATE_ORGANIZATION naming it (never a secret)', async () => {
    const saved = await create<SavedSearchView>('recorded', '/v1/searches', { name: 'logins', query: 'action:LOGIN' });
    const alert = await create<AlertView>('recorded', '/v1/alerts', { ...ALERT, name: 'logins', query: undefined, savedSearchId: saved.id });
    await stack.call('recorded', 'PUT', `/v1/alerts/${alert.id}`, { ...ALERT, name: 'logins 2', query: undefined, savedSearchId: saved.id });
    await stack.call('recorded', 'DELETE', `/v1/alerts/${alert.id}`);
    await stack.call('recorded', 'DELETE', `/v1/searches/${saved.id}`);
    // Refused changes record nothing.
    await stack.call('recorded', 'POST', '/v1/alerts', { ...ALERT, webhook: { url: 'nope', secret: SECRET } });
    const recorded = (await readStream(stack.bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as AuditEvent).filter((e) => e.organizationId === 'recorded');
    expect(recorded.map((e) => [e.actionType, e.userId, e.metadata])).toEqual([
      ['UPDATE_ORGANIZATION', 'admin-1', { setting: 'savedSearches', via: 'api', change: 'create', id: saved.id, name: 'logins' }],
      ['UPDATE_ORGANIZATION', 'admin-1', { setting: 'alerts', via: 'api', change: 'create', id: alert.id, name: 'logins' }],
      ['UPDATE_ORGANIZATION', 'admin-1', { setting: 'alerts', via: 'api', change: 'update', id: alert.id, name: 'logins 2' }],
      ['UPDATE_ORGANIZATION', 'admin-1', { setting: 'alerts', via: 'api', change: 'delete', id: alert.id, name: 'logins 2' }],
      ['UPDATE_ORGANIZATION', 'admin-1', { setting: 'savedSearches', via: 'api', change: 'delete', id: saved.id, name: 'logins' }],
    ]);
    expect(JSON.stringify(recorded)).not.toContain(SECRET);
  });

  it('refuses a query parameter a change does not take (POST, PUT, DELETE), naming it, and changes nothing', async () => {
    const named = (path: string) => ({ status: 400, body: { error: { details: [expect.objectContaining({ path })] } } });
    expect(await stack.call('query-checks', 'POST', '/v1/searches?name=x', { name: 'q', query: 'action:LOGIN' })).toMatchObject(named('name'));
    expect(await stack.call('query-checks', 'POST', '/v1/alerts?enabled=false', ALERT)).toMatchObject(named('enabled'));
    expect((await stack.call<{ items: unknown[] }>('query-checks', 'GET', '/v1/alerts')).body.items).toEqual([]);
    const search = await create<SavedSearchView>('query-checks', '/v1/searches', { name: 'q', query: 'action:LOGIN' });
    const alert = await create<AlertView>('query-checks', '/v1/alerts', ALERT);
    expect(await stack.call('query-checks', 'PUT', `/v1/searches/${search.id}?name=x`, { name: 'q', query: 'action:LOGOUT' })).toMatchObject(named('name'));
    expect(await stack.call('query-checks', 'DELETE', `/v1/searches/${search.id}?force=1`)).toMatchObject(named('force'));
    expect(await stack.call('query-checks', 'PUT', `/v1/alerts/${alert.id}?enabled=false`, { ...ALERT, enabled: false })).toMatchObject(named('enabled'));
    expect(await stack.call('query-checks', 'DELETE', `/v1/alerts/${alert.id}?force=1`)).toMatchObject(named('force'));
    expect((await stack.call<SavedSearchView>('query-checks', 'GET', `/v1/searches/${search.id}`)).body).toMatchObject({ query: 'action:LOGIN' });
    expect((await stack.call<AlertView>('query-checks', 'GET', `/v1/alerts/${alert.id}`)).body).toMatchObject({ enabled: true });
  });

  it('answers 401 without an admin token', async () => {
    expect((await fetch(`${stack.url}/v1/alerts`)).status).toBe(401);
    expect((await fetch(`${stack.url}/v1/searches`, { method: 'POST' })).status).toBe(401);
  });
});
