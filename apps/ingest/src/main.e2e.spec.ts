import { createTestDatabase, startService, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

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
});
