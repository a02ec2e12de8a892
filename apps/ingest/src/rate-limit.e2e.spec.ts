import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createIngestKey, createTestDatabase, startService, startTestNats, waitFor, type TestDatabase, type TestNats } from '@audit/testing';

/**
 * INGEST_RATE_LIMIT seen from outside: an organization over its limit is answered 429 with Retry-After
 * over HTTP, its bus events are held on AUDIT_INGEST and published later (none lost), and another
 * organization is not slowed by it.
 */
describe('ingest app with INGEST_RATE_LIMIT', () => {
  let db: TestDatabase;
  let nats: TestNats;

  beforeAll(async () => {
    db = await createTestDatabase('audit_ingest_rate_limit');
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  });

  it('answers 429 with Retry-After past the limit, holds bus events until admitted, and lets other organizations through', async () => {
    const service = await startService('ingest', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'app-test-secret-app-test-secret-0123', INGEST_RATE_LIMIT: '20' });
    const nc = await connect({ servers: nats.url });
    try {
      const noisy = await createIngestKey(db.url, 'noisy');
      const quiet = await createIngestKey(db.url, 'quiet');
      const post = (key: string, org: string, n: number) =>
        fetch(`${service.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify(Array.from({ length: n }, (_, i) => ({ organizationId: org, actionType: 'LOGIN', userId: `u${i}` }))),
        });

      expect((await post(noisy, 'noisy', 1000)).status).toBe(202);
      const refused = await post(noisy, 'noisy', 100);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(3);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
      expect((await post(quiet, 'quiet', 10)).status).toBe(202);

      // 100 bus events on a nearly empty bucket: admitted at 20 per second, each one published once.
      const js = jetstream(nc);
      for (let i = 0; i < 100; i++) await js.publish('audit.ingest.noisy', JSON.stringify({ organizationId: 'noisy', actionType: 'LOGOUT', userId: `bus${i}` }));
      const jsm = await jetstreamManager(nc);
      const canonical = async (org: string) => {
        const info = await jsm.streams.info('AUDIT_EVENTS', { subjects_filter: `audit.events.${org}.>` });
        return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      };
      await waitFor('the 100 bus events of noisy in AUDIT_EVENTS', async () => (await canonical('noisy')) >= 1100, 30_000);
      expect(await canonical('noisy')).toBe(1100);
      expect(await canonical('quiet')).toBe(10);

      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      const held = (source: string) => Number(new RegExp(`audit_ingest_rate_limited_events_total\\{source="${source}",organizationId="noisy"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      expect(held('http')).toBe(100);
      expect(held('nats')).toBeGreaterThan(0);
      expect(metrics).not.toContain('organizationId="quiet"');
    } finally {
      await nc.close();
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);
});
