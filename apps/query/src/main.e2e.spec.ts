import { readFileSync } from 'node:fs';
import { mayRaiseThreadPriority, nicenessOfStat, READS_THREAD_NICENESS } from '@audit/platform';
import { createTestDatabase, startService, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

/** The deployable query app boots on its own, reports what it depends on, and stops cleanly on SIGTERM. */
describe('query app', () => {
  let db: TestDatabase;
  let nats: TestNats;

  beforeAll(async () => {
    db = await createTestDatabase('audit_query_app');
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  });

  it('is ready with exactly its own checks, serves metrics, and exits 0 on SIGTERM', async () => {
    const service = await startService('query', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'app-test-secret-app-test-secret-0123' });
    try {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(ready.status).toBe('ready');
      expect(Object.keys(ready.checks).sort()).toEqual(['clickhouse', 'nats', 'postgres']);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('audit_admin_reads_recorded_total');
      expect((await fetch(`${service.url}/v1/events`)).status).toBe(401);
      // Its HTTP thread answers the reads: raised once it listens, where the machine lets it (CAP_SYS_NICE).
      const niceness = nicenessOfStat(readFileSync(`/proc/${service.process.pid}/task/${service.process.pid}/stat`, 'utf8'));
      if (process.platform === 'linux' && mayRaiseThreadPriority()) expect(niceness).toBe(READS_THREAD_NICENESS);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);
});
