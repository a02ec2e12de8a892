import { answerDepartures, createIngestKey, createTestDatabase, startService, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

/** The deployable ingest app boots on its own, reports what it depends on, and stops cleanly on SIGTERM. */
describe('ingest app', () => {
  let db: TestDatabase;
  let nats: TestNats;

  beforeAll(async () => {
    db = await createTestDatabase('audit_ingest_app');
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  });

  it('is ready with exactly its own checks, serves metrics, and exits 0 on SIGTERM', async () => {
    const service = await startService('ingest', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'app-test-secret-app-test-secret-0123' });
    try {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(ready.status).toBe('ready');
      expect(Object.keys(ready.checks).sort()).toEqual(['consumer:ingest', 'nats', 'postgres']);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toContain('audit_process_');
      // Ingest asks libs/retention's rule but runs no purge: no retention metric (a last success of 0 would alert).
      expect(metrics).not.toContain('audit_retention_');
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);

  it('answers POST /v1/events in the shapes its own /v1/openapi.json documents, errors included', async () => {
    const service = await startService('ingest', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'app-test-secret-app-test-secret-0123' });
    try {
      const key = await createIngestKey(db.url, 'acme');
      const doc = (await (await fetch(`${service.url}/v1/openapi.json`)).json()) as { paths: object; components?: object };
      const post = (body: unknown, auth: string | null = key) =>
        fetch(`${service.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });
      const answers = [
        await post({ organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' }),
        await post([{ organizationId: 'acme', actionType: 'LOGOUT' }, { organizationId: 'acme', actionType: 'LOGIN' }]),
        await post([{ organizationId: 'acme', actionType: 'NOPE' }]),
        await post({ organizationId: 'acme', actionType: 'LOGIN' }, null),
        await post({ organizationId: 'other', actionType: 'LOGIN' }),
      ];
      expect(answers.map((res) => res.status)).toEqual([202, 202, 400, 401, 403]);
      for (const res of answers) expect(answerDepartures(doc, 'post /v1/events', res.status, await res.json())).toEqual([]);
      // A query parameter ingest does not take (an emitter may believe ?wait=true does something) is refused naming it.
      const withQuery = await fetch(`${service.url}/v1/events?wait=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ organizationId: 'acme', actionType: 'LOGIN' }),
      });
      expect(withQuery.status).toBe(400);
      const refused = (await withQuery.json()) as { error: { details: Array<{ path: string }> } };
      expect(refused.error.details).toEqual([expect.objectContaining({ path: 'wait' })]);
      expect(answerDepartures(doc, 'post /v1/events', 400, refused)).toEqual([]);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);
});
