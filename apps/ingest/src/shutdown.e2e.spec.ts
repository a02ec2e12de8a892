import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { STREAMS } from '@audit/messaging';
import { connectTestBus, createIngestKey, createTestDatabase, readStream, startService, startTestNats, type TestDatabase, type TestNats } from '@audit/testing';

const SHUTDOWN_TIMEOUT_MS = 60_000;

/**
 * SIGTERM while a client has sent the headers and half the body of POST /v1/events and then nothing:
 * Node's server.close() stops the checker that would time that request out, so the service used to wait
 * for SHUTDOWN_TIMEOUT and exit 1. It now cuts that connection (after min(HTTP_REQUEST_TIMEOUT, 10 s))
 * and exits 0, and what it accepted meanwhile is on the bus.
 */
describe('ingest app shutting down with a half-sent request', () => {
  let db: TestDatabase;
  let nats: TestNats;

  beforeAll(async () => {
    db = await createTestDatabase('audit_ingest_shutdown');
    nats = await startTestNats();
  });

  afterAll(async () => {
    await nats?.destroy();
    await db?.drop();
  });

  it('exits 0 before SHUTDOWN_TIMEOUT, having cut the half-sent request and kept the event it accepted', async () => {
    const service = await startService('ingest', {
      DATABASE_URL: db.url,
      NATS_URL: nats.url,
      AUTH_JWT_SECRET: 'app-test-secret-app-test-secret-0123',
      SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS / 1000}s`,
    });
    const bus = await connectTestBus(nats.url);
    try {
      const key = await createIngestKey(db.url, 'acme');
      const { port } = new URL(service.url);

      // Headers and half of the announced body, then silence.
      const body = JSON.stringify({ organizationId: 'acme', actionType: 'LOGIN', userId: 'never-finished' });
      const half = connect(Number(port), '127.0.0.1');
      half.on('error', () => undefined); // the cut may show as a reset
      const halfClosed = new Promise<void>((resolve) => half.once('close', () => resolve()));
      await new Promise<void>((resolve) => half.once('connect', resolve));
      half.write(
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, body.length / 2)}`,
      );

      // Meanwhile a whole request is answered.
      const userId = `accepted-${randomUUID()}`;
      const accepted = await fetch(`${service.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ organizationId: 'acme', actionType: 'LOGIN', userId }),
      });
      expect(accepted.status).toBe(202);

      const stoppedAt = Date.now();
      const code = await service.stop();
      // 1 would be the deadline's exit: the shutdown finished on its own.
      expect(code).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
      await halfClosed;

      const events = (await readStream(bus.jsm, STREAMS.events)).map((message) => JSON.parse(message.data) as { userId?: string });
      expect(events.filter((event) => event.userId === userId)).toHaveLength(1);
      expect(events.some((event) => event.userId === 'never-finished')).toBe(false);
    } finally {
      await bus.close();
      await service.kill();
    }
  }, 150_000);
});
