import type { INestApplication } from '@nestjs/common';
import { AuthModule, TokensService } from '@audit/auth';
import type { AuditEvent, StreamView } from '@audit/contracts';
import { eventsSubject, MessagingModule, provisionStreams, readMessagingConfig } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { canonicalEvent, connectTestBus, createTestDatabase, startHttpApp, startTestNats, type TestBus, type TestDatabase, type TestNats } from '@audit/testing';
import { StreamLagReader, StreamsCatalog, StreamsModule } from '@audit/streams';

/** The streams service over HTTP on a private NATS (connected as its own NATS user) and database, with a bus to publish canonical events. */
export interface StreamsStack {
  db: TestDatabase;
  nats: TestNats;
  bus: TestBus;
  app: INestApplication;
  url: string;
  /** An admin token of the organization. */
  token(organizationId: string): Promise<string>;
  /** Calls the API as an administrator of the organization; answers status and parsed body. */
  call<T = unknown>(organizationId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  /**
   * Creates a stream as `streams apply` does (the catalog, validated the same way as the API) and answers
   * it. Not through the API: the API records each change as an event of the organization, which the
   * organization's streams would deliver among the events a test publishes and counts.
   */
  create(organizationId: string, input: Record<string, unknown>): Promise<StreamView>;
  /** Publishes events on AUDIT_EVENTS as ingest would, one after the other (in order). */
  publish(events: AuditEvent[]): Promise<void>;
  events(organizationId: string, n: number): AuditEvent[];
  close(): Promise<void>;
}

let counter = 0;

export async function startStreamsStack(databaseName: string, env: Record<string, string> = {}): Promise<StreamsStack> {
  const [db, nats] = await Promise.all([createTestDatabase(databaseName), startTestNats()]);
  const bus = await connectTestBus(nats.url);
  // The provisioner makes the streams; the service, as the `streams` user, may only check them.
  await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
  Object.assign(process.env, {
    DATABASE_URL: db.url,
    ...nats.env('streams'),
    NATS_PROVISION_STREAMS: 'false',
    AUTH_JWT_SECRET: 'streams-test-secret-streams-test-secret',
    STREAMS_ALLOW_PRIVATE_NETWORKS: 'true',
    STREAMS_REFRESH_INTERVAL: '200ms',
    STREAMS_FLUSH_INTERVAL: '50ms',
    STREAMS_DELIVERY_TIMEOUT: '3s',
    CONSUMER_ACK_WAIT: '3s',
    LOG_LEVEL: 'error',
    ...env,
  });
  const { app, url } = await startHttpApp([PlatformModule, MessagingModule, PersistenceModule, AuthModule, StreamsModule]);
  const token = (organizationId: string) => app.get(TokensService).sign({ organizationId, role: 'admin', userId: 'admin-1' }, 600);
  const call = async <T>(organizationId: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token(organizationId)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  return {
    db,
    nats,
    bus,
    app,
    url,
    token,
    call,
    create: async (organizationId, input) => {
      const catalog = app.get(StreamsCatalog);
      const created = await catalog.create(organizationId, input);
      return catalog.view(created, await app.get(StreamLagReader).of(created));
    },
    publish: async (events) => {
      for (const e of events) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
    },
    events: (organizationId, n) =>
      Array.from({ length: n }, (_, i) =>
        canonicalEvent({
          organizationId,
          actionType: i % 3 === 0 ? 'QUERY_RUN' : 'LOGIN',
          userId: `user-${counter++}`,
          queryName: i % 3 === 0 ? 'getOrders' : null,
          metadata: { i, text: 'comma, "quote"\nnewline ünïcødé' },
        }),
      ),
    close: async () => {
      await app.close();
      await bus.close();
      await nats.destroy();
      await db.drop();
    },
  };
}
