import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TokensService } from '@audit/auth';
import { STREAMS } from '@audit/messaging';
import { readStream, runCliProcess, waitFor } from '@audit/testing';
import type { StreamView } from '@audit/contracts';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';

jest.setTimeout(60_000);

const SECRET = 'webhook-secret-never-shown-0123';
// A public address (no DNS): the guard lets it through. No test depends on a delivery to it: the only events
// of the organizations whose streams point here are the records of changes made through the API or the CLI
// (their streams may try to send those; config-org's active stream filters them out).
const PUBLIC_URL = 'https://93.184.216.34/audit-hook';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRET\n-----END PRIVATE KEY-----';

/** The /v1/streams API with the network guard on (as in production), the secrets at rest, and `streams apply`/`export`. */
describe('streams API', () => {
  let stack: StreamsStack;
  let dir: string;

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_api', { STREAMS_ALLOW_PRIVATE_NETWORKS: 'false' });
    dir = mkdtempSync(path.join(tmpdir(), 'audit-streams-cli-'));
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (org: string, body: unknown) => stack.call<{ error: { code: string; message: string; details: Array<{ path: string }> } }>(org, 'POST', '/v1/streams', body);

  it.each([
    ['a bad URL', { name: 'a', destination: { type: 'webhook', url: 'nope', secrets: [SECRET] } }, 'destination.url'],
    ['a private key where a URL belongs', { name: 'a', destination: { type: 'webhook', url: PRIVATE_KEY, secrets: [SECRET] } }, 'destination.url'],
    ['an unknown format', { name: 'a', format: 'xml', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } }, 'format'],
    ['a missing secret', { name: 'a', destination: { type: 'webhook', url: PUBLIC_URL } }, 'destination.secrets'],
    ['the platform itself (loopback)', { name: 'a', destination: { type: 'webhook', url: 'http://127.0.0.1:3000/v1/events', secrets: [SECRET] } }, 'destination.url'],
    ['cloud metadata (link-local)', { name: 'a', destination: { type: 'splunk', url: 'http://169.254.169.254/latest', token: 't' } }, 'destination.url'],
    ['a private syslog host', { name: 'a', destination: { type: 'syslog', host: '10.0.0.7', port: 514, tls: false } }, 'destination.host'],
  ])('refuses %s with 400 naming the field, echoing nothing of it', async (_what, body, field) => {
    const answer = await post('acme', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    expect(answer.body.error.details.map((d) => d.path)).toContain(field);
    expect(answer.text).not.toContain('SECRET');
    expect(answer.text).not.toContain(SECRET);
  });

  it('never shows a secret once saved, stores it encrypted, and keeps it when a replace leaves it out', async () => {
    const answer = await post('acme', { name: 'siem', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } });
    expect(answer.status).toBe(201);
    expect(answer.text).not.toContain(SECRET);
    const created = answer.body as unknown as StreamView;
    expect(created.destination).toEqual({ type: 'webhook', url: PUBLIC_URL, secretsSet: ['secrets'] });
    expect(created.state.status).toBe('active');
    for (const answer of [
      await stack.call('acme', 'GET', `/v1/streams/${created.id}`),
      await stack.call('acme', 'GET', '/v1/streams'),
      await stack.call('acme', 'PUT', `/v1/streams/${created.id}`, { name: 'siem', destination: { type: 'webhook', url: `${PUBLIC_URL}/v2` } }),
    ]) {
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(SECRET);
    }
    const [row] = await stack.db.query<{ secrets: string; destination: unknown }>('SELECT secrets, destination FROM streams WHERE id = $1', [created.id]);
    expect(row.secrets).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(SECRET);
    const replaced = (await stack.call<StreamView>('acme', 'GET', `/v1/streams/${created.id}`)).body;
    expect(replaced.destination).toEqual({ type: 'webhook', url: `${PUBLIC_URL}/v2`, secretsSet: ['secrets'] });
    // Another destination type needs its own secret.
    const retyped = await stack.call('acme', 'PUT', `/v1/streams/${created.id}`, { name: 'siem', destination: { type: 'splunk', url: PUBLIC_URL } });
    expect(retyped.status).toBe(400);
    expect(retyped.text).toContain('destination.token');
  });

  it('a second stream of the same name is refused naming the name; another organization may use it', async () => {
    const body = { name: 'dup', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } };
    await stack.create('acme', body);
    const again = await post('acme', body);
    expect(again.status).toBe(400);
    expect(again.body.error.details.map((d) => d.path)).toEqual(['name']);
    expect((await post('globex', body)).status).toBe(201);
  });

  it('deletes a stream: it is gone for its organization, 404 afterwards, and its consumer leaves the bus', async () => {
    const created = await stack.create('deleting', { name: 'gone', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } });
    const consumerExists = () => stack.bus.jsm.consumers.info(STREAMS.events, `stream-${created.id}`).then(() => true, () => false);
    await waitFor('the stream consumer', consumerExists);
    expect((await stack.call('deleting', 'DELETE', `/v1/streams/${created.id}`)).status).toBe(200);
    await waitFor('the consumer deleted', async () => !(await consumerExists()));
    expect((await stack.call('deleting', 'GET', `/v1/streams/${created.id}`)).status).toBe(404);
    expect((await stack.call('deleting', 'DELETE', `/v1/streams/${created.id}`)).status).toBe(404);
  });

  it('refuses a query parameter a change does not take (POST, PUT, DELETE, pause, resume, test, replay), naming it, and changes nothing', async () => {
    const body = { name: 'q', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } };
    const named = (path: string) => ({ status: 400, body: { error: { details: [expect.objectContaining({ path })] } } });
    expect(await stack.call('query-checks', 'POST', '/v1/streams?paused=true', body)).toMatchObject(named('paused'));
    expect((await stack.call<{ items: unknown[] }>('query-checks', 'GET', '/v1/streams')).body.items).toEqual([]);
    const created = await stack.create('query-checks', body);
    for (const [method, path] of [
      ['PUT', `/v1/streams/${created.id}?name=renamed`],
      ['DELETE', `/v1/streams/${created.id}?name=x`],
      ['POST', `/v1/streams/${created.id}/pause?name=x`],
      ['POST', `/v1/streams/${created.id}/resume?name=x`],
      ['POST', `/v1/streams/${created.id}/test?name=x`],
      ['POST', `/v1/streams/${created.id}/replay?name=x`],
    ]) {
      expect({ method, path, ...(await stack.call('query-checks', method, path, method === 'DELETE' ? undefined : method === 'PUT' ? body : {})) }).toMatchObject({ method, path, ...named('name') });
    }
    expect((await stack.call<{ name: string; state: string }>('query-checks', 'GET', `/v1/streams/${created.id}`)).body).toMatchObject({ name: 'q' });
  });

  it('refuses a replay without a valid from, and an unknown limit', async () => {
    const created = await stack.create('replay-checks', { name: 'r', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } });
    for (const body of [{}, { from: 'yesterday' }, { from: '2026-01-01T00:00:00Z', to: 'x' }, { from: new Date(Date.now() + 3_600_000).toISOString() }]) {
      expect((await stack.call('replay-checks', 'POST', `/v1/streams/${created.id}/replay`, body)).status).toBe(400);
    }
    expect((await stack.call('replay-checks', 'GET', `/v1/streams/${created.id}/deliveries?limit=0`)).status).toBe(400);
  });

  it('records each change made through the API (create, update, pause, resume, replay, delete) as an UPDATE_ORGANIZATION event of the administrator, never a secret; a refused change records nothing', async () => {
    const org = 'audited';
    interface Recorded {
      organizationId: string;
      actionType: string;
      userId: string | null;
      metadata: Record<string, unknown>;
    }
    const recorded = async (): Promise<Recorded[]> =>
      (await readStream(stack.bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as Recorded).filter((e) => e.organizationId === org && e.actionType === 'UPDATE_ORGANIZATION');
    expect((await post(org, { name: 'bad', destination: { type: 'webhook', url: 'nope', secrets: [SECRET] } })).status).toBe(400);
    const created = await post(org, { name: 'siem', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [SECRET] } });
    expect(created.status).toBe(201);
    const id = (created.body as unknown as StreamView).id;
    expect((await stack.call(org, 'PUT', `/v1/streams/${id}`, { name: 'siem-2', destination: { type: 'webhook', url: PUBLIC_URL, secrets: [`${SECRET}-new`] } })).status).toBe(200);
    expect((await stack.call(org, 'POST', `/v1/streams/${id}/pause`)).status).toBe(200);
    expect((await stack.call(org, 'POST', `/v1/streams/${id}/resume`)).status).toBe(200);
    const from = new Date(Date.now() - 60_000).toISOString();
    expect((await stack.call(org, 'POST', `/v1/streams/${id}/replay`, { from })).status).toBe(202);
    expect((await stack.call(org, 'DELETE', `/v1/streams/${id}`)).status).toBe(200);
    const events = await waitFor('the six records', async () => {
      const found = await recorded();
      return found.length >= 6 ? found : undefined;
    });
    const base = { setting: 'streams', via: 'api', streamId: id, destination: 'webhook' };
    expect(events.map((e) => [e.userId, e.metadata])).toEqual([
      ['admin-1', { ...base, change: 'create', name: 'siem' }],
      ['admin-1', { ...base, change: 'update', name: 'siem-2' }],
      ['admin-1', { ...base, change: 'pause', name: 'siem-2' }],
      ['admin-1', { ...base, change: 'resume', name: 'siem-2' }],
      ['admin-1', { ...base, change: 'replay', name: 'siem-2', from }],
      ['admin-1', { ...base, change: 'delete', name: 'siem-2' }],
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('answers 401 without a token and 403 to a member', async () => {
    expect((await fetch(`${stack.url}/v1/streams`)).status).toBe(401);
    const member = await stack.app.get(TokensService).sign({ organizationId: 'acme', role: 'member' }, 600);
    expect((await fetch(`${stack.url}/v1/streams`, { headers: { Authorization: `Bearer ${member}` } })).status).toBe(403);
  });

  describe('streams apply / export (the CLI)', () => {
    const env = () => ({ DATABASE_URL: stack.db.url, NATS_URL: stack.nats.url, AUTH_JWT_SECRET: process.env.AUTH_JWT_SECRET ?? '', STREAMS_ALLOW_PRIVATE_NETWORKS: 'false', SPLUNK_TOKEN: 'hec-token-from-env', LOG_LEVEL: 'error' });
    const file = (name: string, text: string): string => {
      const at = path.join(dir, name);
      writeFileSync(at, text);
      return at;
    };
    const apply = async (at: string) => {
      const run = await runCliProcess(['streams', 'apply', '--org', 'config-org', '-f', at, '--json'], env());
      if (run.code !== 0) throw new Error(`streams apply exited ${run.code}: ${run.stderr}`);
      return JSON.parse(run.stdout) as { created: string[]; updated: string[]; deleted: string[]; unchanged: string[] };
    };
    const streams = async () => (await stack.call<{ items: StreamView[] }>('config-org', 'GET', '/v1/streams')).body.items;

    it('makes the streams match the file, and applying it again changes nothing', async () => {
      // Seeded with the CLI too: a change through the API would be recorded as an event of config-org, which
      // its streams would then try to deliver (and their state would change while the tests compare it).
      await apply(file('seed.yaml', `streams:\n  - name: manual\n    destination: { type: webhook, url: "${PUBLIC_URL}", secrets: ["${SECRET}"] }\n`));
      const first = file(
        'first.yaml',
        [
          'streams:',
          '  - name: siem',
          '    destination: { type: splunk, url: "https://93.184.216.34:8088/services/collector/event", token: "${SPLUNK_TOKEN}" }',
          '    filter: { actionType: [LOGIN, QUERY_RUN] }',
          '  - name: archive',
          '    destination: { type: syslog, host: 93.184.216.34, port: 6514 }',
          '    paused: true',
        ].join('\n'),
      );
      expect(await apply(first)).toEqual({ created: ['siem', 'archive'], updated: [], deleted: ['manual'], unchanged: [] });
      expect(await apply(first)).toEqual({ created: [], updated: [], deleted: [], unchanged: ['siem', 'archive'] });
      const listed = await streams();
      expect(listed.map((s) => [s.name, s.state.status]).sort()).toEqual([['archive', 'paused'], ['siem', 'active']]);
      expect(JSON.stringify(listed)).not.toContain('hec-token-from-env');

      // Exported (no secrets) and applied back: nothing changes, the stored token stays.
      const exported = path.join(dir, 'exported.yaml');
      const run = await runCliProcess(['streams', 'export', '--org', 'config-org', '-f', exported], env());
      expect(run.code).toBe(0);
      expect(readFileSync(exported, 'utf8')).not.toContain('hec-token-from-env');
      expect(await apply(exported)).toEqual({ created: [], updated: [], deleted: [], unchanged: ['archive', 'siem'] });

      // archive stays paused: active, it would try to send config-org's records to the unreachable address.
      const changed = file('changed.yaml', readFileSync(exported, 'utf8').replace('port: 6514', 'port: 6515'));
      expect(await apply(changed)).toEqual({ created: [], updated: ['archive'], deleted: [], unchanged: ['siem'] });

      // Each change was recorded before it was made, as the API records its own; an unchanged apply records nothing.
      const ids = new Map(listed.map((s) => [s.name, s.id]));
      const recorded = (await readStream(stack.bus.jsm, STREAMS.events))
        .map((m) => JSON.parse(m.data) as { organizationId: string; actionType: string; userId: unknown; metadata: Record<string, unknown> })
        .filter((e) => e.organizationId === 'config-org');
      expect(recorded.map((e) => [e.actionType, e.userId, e.metadata])).toEqual([
        ['UPDATE_ORGANIZATION', null, { setting: 'streams', via: 'cli', change: 'create', streamId: expect.any(String), name: 'manual', destination: 'webhook' }],
        ['UPDATE_ORGANIZATION', null, { setting: 'streams', via: 'cli', change: 'create', streamId: ids.get('siem'), name: 'siem', destination: 'splunk' }],
        ['UPDATE_ORGANIZATION', null, { setting: 'streams', via: 'cli', change: 'create', streamId: ids.get('archive'), name: 'archive', destination: 'syslog' }],
        ['UPDATE_ORGANIZATION', null, { setting: 'streams', via: 'cli', change: 'delete', streamId: recorded[0].metadata.streamId, name: 'manual', destination: 'webhook' }],
        ['UPDATE_ORGANIZATION', null, { setting: 'streams', via: 'cli', change: 'update', streamId: ids.get('archive'), name: 'archive', destination: 'syslog' }],
      ]);
      expect(JSON.stringify(recorded)).not.toContain('hec-token-from-env');
    });

    it('refuses to apply when the bus cannot record the changes: exits non-zero, says why, writes nothing', async () => {
      // The streams' configuration, without their lag: that is live state the running streams change meanwhile.
      const configured = async () => (await streams()).map((stream) => ({ ...stream, lag: null }));
      const before = await configured();
      const wanted = file('unrecorded.yaml', `streams:\n  - name: unrecorded\n    destination: { type: webhook, url: "${PUBLIC_URL}", secrets: ["${SECRET}"] }\n`);
      // Nothing listens on port 9: the bus is down as far as the CLI can tell.
      const run = await runCliProcess(['streams', 'apply', '--org', 'config-org', '-f', wanted], { ...env(), NATS_URL: 'nats://127.0.0.1:9' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/bus|NATS/i);
      expect(run.stdout).toBe('');
      expect(await configured()).toEqual(before);
    });

    it('a bad file changes nothing and names the problem', async () => {
      const before = await streams();
      const bad = file('bad.yaml', 'streams:\n  - name: x\n    destination: { type: webhook, url: "http://10.0.0.1/hook", secrets: ["0123456789abcdef0"] }\n  - name: y\n    destination: { type: ftp }\n');
      const run = await runCliProcess(['streams', 'apply', '--org', 'config-org', '-f', bad], env());
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('streams[0].destination.url');
      expect(run.stderr).toContain('streams[1].destination.type');
      expect(await streams()).toEqual(before);
    });
  });
});
