import { SignJWT } from 'jose';
import { eventsSubject, provisionStreams, readMessagingConfig } from '@audit/messaging';
import { canonicalEvent, connectTestBus, createTestDatabase, metricSample, scrapeMetrics, startService, startTestNats, TestReceiver, waitFor, type TestDatabase, type TestNats } from '@audit/testing';
import { streamsServiceEnv } from './streams.e2e-helpers';

const JWT_SECRET = 'app-test-secret-app-test-secret-0123';

/**
 * The deployable streams app, connected as its own NATS user (which may not create the AUDIT_* streams):
 * ready with exactly its checks, delivers a stream made through its API, reports the stream's metrics, and
 * stops cleanly on SIGTERM.
 */
describe('streams app', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let receiver: TestReceiver;

  beforeAll(async () => {
    db = await createTestDatabase('audit_streams_app');
    nats = await startTestNats();
    const bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    await bus.close();
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await receiver?.stop();
    await nats?.destroy();
    await db?.drop();
  });

  it('is ready with its own checks, delivers, counts per stream, and exits 0 on SIGTERM', async () => {
    const service = await startService('streams', streamsServiceEnv(db.url, nats, JWT_SECRET));
    const bus = await connectTestBus(nats.url);
    try {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(ready.status).toBe('ready');
      expect(Object.keys(ready.checks).sort()).toEqual(['nats', 'postgres', 'streams']);

      const token = await new SignJWT({ org: 'acme', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));
      const created = await fetch(`${service.url}/v1/streams`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'hook', destination: { type: 'webhook', url: receiver.url('/hook'), secrets: ['app-test-webhook-secret'] } }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const event = canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' });
      await bus.js.publish(eventsSubject('acme', 'LOGIN'), JSON.stringify(event), { msgID: event.id });
      await waitFor('the event at the receiver', () => receiver.on('/hook').some((r) => r.body.includes(event.id)));
      const metrics = await waitFor('the stream metrics', async () => {
        const text = await scrapeMetrics(service.url);
        // The lag is read every 5 s.
        return metricSample(text, 'audit_stream_lag', { stream: id, organization: 'acme' }) !== undefined ? text : undefined;
      });
      // The event, after the record of the stream's creation (an event of the organization, published first).
      expect(metricSample(metrics, 'audit_stream_events_total', { stream: id, organization: 'acme', outcome: 'delivered' })).toBe(2);
      expect(receiver.on('/hook').some((r) => r.body.includes('"setting":"streams"'))).toBe(true);
      expect(metricSample(metrics, 'audit_stream_lag', { stream: id, organization: 'acme' })).toBe(0);
    } finally {
      await bus.close();
      expect(await service.stop()).toBe(0);
    }
  }, 90_000);
});
