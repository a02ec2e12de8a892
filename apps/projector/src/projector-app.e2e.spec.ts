import { TokensService } from '@audit/auth';
import type { ActionType, AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import {
  canonicalEvent,
  metricSample,
  scrapeMetrics,
  STACK_JWT_SECRET,
  startServiceStack,
  waitForConsumerIdle,
  type RunningService,
  type ServiceStack,
  type TestBus,
} from '@audit/testing';

jest.setTimeout(60_000);

const SECRET = STACK_JWT_SECRET;
const ORG = 'org-projector-app';

/**
 * The projector app (`apps/projector`) as it is deployed: its own process on embedded ClickHouse, fed
 * straight from AUDIT_EVENTS, with readiness and metrics covering the projection, the analytics API
 * beside it (chDB binds one data directory per process), and a graceful stop.
 */
describe('projector app', () => {
  let bus: TestBus;
  let service: RunningService;
  let stack: ServiceStack | undefined;

  const TYPES: ActionType[] = ['QUERY_RUN', 'LOGIN', 'PAGE_VIEW', 'DELETE_RESOURCE'];
  const events: AuditEvent[] = Array.from({ length: 250 }, (_, i) =>
    canonicalEvent({
      organizationId: ORG,
      actionType: TYPES[i % TYPES.length],
      userId: `u${i % 7}`,
      ipAddress: `10.1.${i % 3}.${i % 9}`,
      responseTimeMs: i,
      createdAt: new Date(Date.UTC(2026, 10, 26, 6, 0, 0) + i * 61_001).toISOString(),
    }),
  );
  const publish = async (copy: string): Promise<void> => {
    await Promise.all(events.map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: `${e.id}:${copy}` })));
  };

  beforeAll(async () => {
    stack = await startServiceStack('projector', {
      PROJECTOR_BATCH_SIZE: '100',
      PROJECTOR_FLUSH_INTERVAL: '50ms',
    }, { dbPrefix: 'projector_app' });
    ({ bus, service } = stack);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('is ready: ClickHouse, the bus and its consumer pass their checks', async () => {
    const res = await fetch(`${service.url}/readyz`);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ready');
    expect(body.checks).toMatchObject({ clickhouse: { ok: true }, 'consumer:projector': { ok: true }, nats: { ok: true } });
  });

  it('projects each event once and its metrics say so: rows inserted and skipped, batch sizes within the row cap, insert latency', async () => {
    await publish('first');
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 30_000);
    // The same events again with other message ids: the bus keeps them, the projector skips them.
    await publish('second');
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 30_000);

    const text = await scrapeMetrics(service.url);
    expect({
      inserted: metricSample(text, 'audit_projector_rows_total', { result: 'inserted' }),
      duplicate: metricSample(text, 'audit_projector_rows_total', { result: 'duplicate' }),
      acked: metricSample(text, 'audit_consumer_messages_total', { consumer: 'projector', outcome: 'acked' }),
      batchedMessages: metricSample(text, 'audit_consumer_batch_size_sum', { consumer: 'projector' }),
    }).toEqual({ inserted: 250, duplicate: 250, acked: 500, batchedMessages: 500 });
    const batches = metricSample(text, 'audit_consumer_batch_size_count', { consumer: 'projector' }) ?? 0;
    // At most PROJECTOR_BATCH_SIZE (100) rows a batch: at least 5 batches, every one in the le="100" bucket.
    expect(batches).toBeGreaterThanOrEqual(5);
    expect(metricSample(text, 'audit_consumer_batch_size_bucket', { consumer: 'projector', le: '100' })).toBe(batches);
    expect(metricSample(text, 'audit_projector_insert_duration_seconds_count')).toBe(batches);
    expect(text).toMatch(/^# TYPE audit_consumer_pending gauge$/m);
    expect(text).toMatch(/^# TYPE audit_projector_insert_duration_seconds histogram$/m);
  });

  it('answers the analytics API from its own ClickHouse, for the token organization’s admin', async () => {
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    const token = await signer.sign({ organizationId: ORG, role: 'admin' }, 600);
    const from = '2026-11-26T06:00:00.000Z';
    const to = '2026-11-26T12:00:00.000Z';
    const res = await fetch(`${service.url}/v1/analytics/summary?from=${from}&to=${to}`, { headers: { authorization: `Bearer ${token}` } });
    const inside = events.filter((e) => e.createdAt >= from && e.createdAt < to);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      total: inside.length,
      distinctUsers: 7,
      distinctIps: new Set(inside.map((e) => e.ipAddress)).size,
      items: TYPES.map((actionType) => ({ actionType, count: inside.filter((e) => e.actionType === actionType).length })).sort(
        (a, b) => b.count - a.count || a.actionType.localeCompare(b.actionType),
      ),
    });
    expect(inside.length).toBe(250);
  });
});
