import type { INestApplication } from '@nestjs/common';
import { AlertEvaluator, AlertsModule } from '@audit/alerts';
import { AuthModule, TokensService } from '@audit/auth';
import { ClickHouseEventsRepository, ClickHouseModule, ProjectionProgress, toClickHouseRow } from '@audit/clickhouse';
import type { AuditEvent } from '@audit/contracts';
import { MessagingModule, provisionStreams, readMessagingConfig } from '@audit/messaging';
import { AuditEventsWriteRepository, PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { connectTestBus, createTestDatabase, startHttpApp, startTestNats, testClickHouseEnv, type TestBus, type TestClickHouse, type TestDatabase, type TestNats } from '@audit/testing';

/**
 * The alerts API and evaluator as the query service runs them (Postgres, embedded ClickHouse, NATS as the
 * `query` user), scheduling off (ALERTS_EVALUATE=false): a test ticks the evaluator with its own clock.
 */
export interface AlertsStack {
  db: TestDatabase;
  nats: TestNats;
  bus: TestBus;
  ch: TestClickHouse;
  app: INestApplication;
  url: string;
  evaluator: AlertEvaluator;
  /** Calls the API as an administrator of the organization; answers status and parsed body. */
  call<T = unknown>(organizationId: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T; text: string }>;
  /**
   * Stores events in Postgres (users, for `user:` look-ups) and ClickHouse, and moves the projector's
   * high-water mark past them, as the writer and projector would.
   */
  store(events: AuditEvent[]): Promise<void>;
  /** Stores events in Postgres only: the writer has them, the projector is behind. */
  write(events: AuditEvent[]): Promise<void>;
  /** Projects events already written: into ClickHouse, the mark moved past them. */
  project(events: AuditEvent[]): Promise<void>;
  /** A second replica's evaluator: its own Nest application (own pools) on the same stores. */
  replica(): Promise<{ evaluator: AlertEvaluator; close(): Promise<void> }>;
  close(): Promise<void>;
}

const modules = [PlatformModule, MessagingModule, PersistenceModule, ClickHouseModule, AuthModule, AlertsModule];

export async function startAlertsStack(databaseName: string, env: Record<string, string> = {}): Promise<AlertsStack> {
  const [db, nats] = await Promise.all([createTestDatabase(databaseName), startTestNats()]);
  const ch = testClickHouseEnv('audit_alerts');
  const bus = await connectTestBus(nats.url);
  await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
  Object.assign(process.env, {
    DATABASE_URL: db.url,
    ...nats.env('query'),
    ...ch.env,
    NATS_PROVISION_STREAMS: 'false',
    AUTH_JWT_SECRET: 'alerts-test-secret-alerts-test-secret',
    STREAMS_ALLOW_PRIVATE_NETWORKS: 'true',
    ALERTS_EVALUATE: 'false',
    ALERTS_DELIVERY_TIMEOUT: '3s',
    // The tests' events carry the clock's own receivedAt: with no margin, the mark the stack moves past the
    // events it stores is exactly what ClickHouse holds.
    SEARCH_FRESHNESS_MARGIN: '0s',
    LOG_LEVEL: 'error',
    ...env,
  });
  const { app, url } = await startHttpApp(modules);
  const write = async (events: AuditEvent[]): Promise<void> => {
    await app.get(AuditEventsWriteRepository).writeBatch(events);
  };
  const project = async (events: AuditEvent[]): Promise<void> => {
    const rows = events.map(toClickHouseRow);
    await app.get(ClickHouseEventsRepository).insertNew(rows);
    await app.get(ProjectionProgress).advancePast(rows);
  };
  const token = (organizationId: string) => app.get(TokensService).sign({ organizationId, role: 'admin', userId: 'admin-1' }, 600);
  return {
    db,
    nats,
    bus,
    ch,
    app,
    url,
    evaluator: app.get(AlertEvaluator),
    call: async <T>(organizationId: string, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${await token(organizationId)}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, text };
    },
    store: async (events) => {
      await write(events);
      await project(events);
    },
    write,
    project,
    replica: async () => {
      const other = await startHttpApp(modules);
      return { evaluator: other.app.get(AlertEvaluator), close: () => other.app.close() };
    },
    close: async () => {
      await app.close();
      await bus.close();
      await nats.destroy();
      await ch.drop();
      await db.drop();
    },
  };
}
