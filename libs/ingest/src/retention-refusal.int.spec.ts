import { randomBytes, randomUUID } from 'node:crypto';
import { hashKey } from '@audit/auth';
import { DLQ_HEADERS, ingestSubject, STREAMS } from '@audit/messaging';
import { readStream, startServiceStack, waitFor, waitForConsumerIdle, type RunningService, type ServiceStack, type TestBus, type TestDatabase } from '@audit/testing';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const SHORT = 'org_short'; // keeps 30 days
const HELD = 'org_held'; // keeps 30 days but is under a legal hold
const DEFAULT = 'org_default'; // follows AUDIT_RETENTION_DAYS (400 here)

/**
 * An event older than its organization's retention would be answered 202 and deleted by the next purge.
 * Ingest refuses it instead: 400 naming `createdAt` and the retention over HTTP, a dead letter with that
 * reason over the bus; a legal hold (which stops purges) refuses nothing. Ingest runs as its own process.
 */
describe('ingest refuses events older than the organization retention', () => {
  let stack: ServiceStack;
  let db: TestDatabase;
  let bus: TestBus;
  let ingest: RunningService;
  const keys = new Map<string, string>();

  beforeAll(async () => {
    stack = await startServiceStack('ingest', { AUDIT_RETENTION_DAYS: '400', RETENTION_POLICY_CACHE_TTL: '200ms' }, { dbPrefix: 'ingest_retention' });
    ({ db, bus, service: ingest } = stack);
    for (const org of [SHORT, HELD, DEFAULT]) {
      const key = `audk_${randomBytes(24).toString('base64url')}`;
      await db.query(`INSERT INTO api_keys (id, "organizationId", name, "keyPrefix", "keyHash") VALUES ($1, $2, 'test', $3, $4)`, [randomUUID(), org, key.slice(0, 12), hashKey(key)]);
      keys.set(org, key);
    }
    await db.query(`INSERT INTO retention_policies ("organizationId", days) VALUES ($1, 30)`, [SHORT]);
    await db.query(`INSERT INTO retention_policies ("organizationId", days, "holdReason", "heldAt") VALUES ($1, 30, 'litigation', now())`, [HELD]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const post = async (org: string, body: unknown): Promise<{ status: number; body: { ids?: string[]; error?: { code: string; message: string; details?: Array<{ index: number; path: string; reason: string }> } } }> => {
    const res = await fetch(`${ingest.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.get(org)}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as never };
  };
  const daysAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

  it('answers 400 naming createdAt and the retention over HTTP, and publishes nothing of that batch', async () => {
    const withinRetention = randomUUID();
    const refused = await post(SHORT, [
      { id: withinRetention, organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(1) },
      { organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(31) },
    ]);
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('VALIDATION_FAILED');
    expect(refused.body.error?.message).toContain('30 days');
    expect(refused.body.error?.details).toEqual([
      { index: 1, path: '[1].createdAt', reason: expect.stringMatching(/older than the retention of organization "org_short" \(30 days: events created before .* are purged\)/) as unknown },
    ]);

    // Accepted later (below) means published in order after it: the refused batch's valid event never was.
    const later = await post(SHORT, { organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(29) });
    expect(later.status).toBe(202);
    const published = (await readStream(bus.jsm, STREAMS.events)).map((m) => (JSON.parse(m.data) as { id: string }).id);
    expect(published).toContain(later.body.ids?.[0]);
    expect(published).not.toContain(withinRetention);

    // The global default applies to an organization without its own policy: 366 days is kept under 400, 401 is not.
    expect((await post(DEFAULT, { organizationId: DEFAULT, actionType: 'LOGIN', createdAt: daysAgo(366) })).status).toBe(202);
    const tooOld = await post(DEFAULT, { organizationId: DEFAULT, actionType: 'LOGIN', createdAt: daysAgo(401) });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.error?.details).toMatchObject([{ path: 'createdAt', reason: expect.stringContaining('400 days') as unknown }]);

    // A legal hold purges nothing, so nothing is refused: even an event from 1970 is accepted.
    expect((await post(HELD, { organizationId: HELD, actionType: 'LOGIN', createdAt: '1970-01-01T00:00:00.000Z' })).status).toBe(202);

    // A policy change reaches ingest within RETENTION_POLICY_CACHE_TTL: 0 keeps forever, and the old event is accepted.
    await db.query(`UPDATE retention_policies SET days = 0 WHERE "organizationId" = $1`, [SHORT]);
    await waitFor('the new policy to apply', async () => (await post(SHORT, { organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(31) })).status === 202, 10_000, 100);
    await db.query(`UPDATE retention_policies SET days = 30 WHERE "organizationId" = $1`, [SHORT]);
    await waitFor('the 30-day policy to apply again', async () => (await post(SHORT, { organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(31) })).status === 400, 10_000, 100);
  });

  it('dead-letters an expired event published on audit.ingest.<org> with the reason, and passes the others of its batch', async () => {
    const fresh = randomUUID();
    const expired = randomUUID();
    const held = randomUUID();
    await bus.js.publish(ingestSubject(SHORT), JSON.stringify({ id: fresh, organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(29) }));
    await bus.js.publish(ingestSubject(SHORT), JSON.stringify({ id: expired, organizationId: SHORT, actionType: 'LOGIN', createdAt: daysAgo(45) }));
    await bus.js.publish(ingestSubject(HELD), JSON.stringify({ id: held, organizationId: HELD, actionType: 'LOGIN', createdAt: daysAgo(3_000) }));
    await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest', 30_000);

    const canonical = (await readStream(bus.jsm, STREAMS.events)).map((m) => (JSON.parse(m.data) as { id: string }).id);
    expect(canonical).toEqual(expect.arrayContaining([fresh, held]));
    expect(canonical).not.toContain(expired);

    const dead = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.headers[DLQ_HEADERS.consumer] === 'ingest');
    expect(dead).toHaveLength(1);
    expect((JSON.parse(dead[0].data) as { id: string }).id).toBe(expired);
    expect(dead[0].headers[DLQ_HEADERS.reason]).toMatch(/createdAt is .*, older than the retention of organization "org_short" \(30 days: events created before .* are purged\)/);
  });
});
