import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import type { EventPublisher } from '@audit/messaging';
import { AppError } from '@audit/platform';
import { isPurged, resolveOrganizationRetention, type OrganizationPolicy } from '@audit/retention';
import { IngestEventsUseCase } from './ingest-events.use-case';
import { IngestLoadShedder } from './load-shedder';
import { IngestRateLimiter } from './rate-limiter';
import type { RedactionPolicyService } from './redaction-policy.service';
import type { RetentionSource } from './retention-policy.service';

const NOW = new Date('2026-06-01T12:00:00.000Z');

const DAY = 86_400_000;
const KEEP_FOREVER: Omit<OrganizationPolicy, 'organizationId'> = { days: 0, defaultDays: 0, hold: null };

const NO_LIMIT = new IngestRateLimiter({ rateLimitPerSecond: 0, rateBurst: 1000 });
const IDLE_LOOP = new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, { recentMs: 0, recentUtilization: 0 });

function setup(hidden: string[] = [], hideAllHeaders = false, retention: Omit<OrganizationPolicy, 'organizationId'> = KEEP_FOREVER, limiter = NO_LIMIT, shedder = IDLE_LOOP) {
  const published: AuditEvent[][] = [];
  const publisher = { publishEvents: (events: readonly AuditEvent[]) => (published.push([...events]), Promise.resolve()) } as unknown as EventPublisher;
  const policies = { policyFor: () => Promise.resolve({ hideAllHeaders, hiddenParameterQueries: new Set(hidden) }) } as unknown as RedactionPolicyService;
  const retentionSource: RetentionSource = {
    retentionFor: (organizationId, now) => Promise.resolve(resolveOrganizationRetention({ organizationId, ...retention }, now)),
  };
  return { useCase: new IngestEventsUseCase(publisher, policies, retentionSource, limiter, shedder), published };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

describe('IngestEventsUseCase', () => {
  it('refuses every batch with OVERLOADED (503, Retry-After 1) while the event loop runs later than the bound, publishing nothing and taking no rate-limit token', async () => {
    const loop = { recentMs: 0, recentUtilization: 1 };
    const limiter = new IngestRateLimiter({ rateLimitPerSecond: 1, rateBurst: 1000 }, () => 0);
    const { useCase, published } = setup([], false, KEEP_FOREVER, limiter, new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, loop));
    const batch = Array.from({ length: 1000 }, (_, i) => ({ organizationId: 'acme', actionType: 'LOGIN', userId: `u${i}` }));
    loop.recentMs = 41;
    const refused = await rejection(useCase.execute({ body: batch, organizationId: 'acme', now: NOW }));
    expect(refused.code).toBe('OVERLOADED');
    expect(refused.retryAfterSeconds).toBe(1);
    expect(refused.message).toContain('INGEST_MAX_EVENT_LOOP_DELAY');
    expect(published).toHaveLength(0);
    // Nothing was taken from the organization's bucket: once the loop is back under the bound, the full burst passes.
    loop.recentMs = 40;
    await expect(useCase.execute({ body: batch, organizationId: 'acme', now: NOW })).resolves.toHaveProperty('ids');
    expect(published).toHaveLength(1);
  });

  it('takes a late loop that is mostly idle (starved of a core by other work, not busy with its own) as no reason to refuse', async () => {
    const { useCase, published } = setup([], false, KEEP_FOREVER, NO_LIMIT, new IngestLoadShedder({ maxEventLoopDelayMs: 40 }, { recentMs: 500, recentUtilization: 0.5 }));
    await useCase.execute({ body: { organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' }, organizationId: 'acme', now: NOW });
    expect(published).toHaveLength(1);
  });

  it('never refuses for load when INGEST_MAX_EVENT_LOOP_DELAY is 0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: 0, max: 1e6, noNaN: true }), async (recentMs) => {
        const { useCase, published } = setup([], false, KEEP_FOREVER, NO_LIMIT, new IngestLoadShedder({ maxEventLoopDelayMs: 0 }, { recentMs, recentUtilization: 1 }));
        await useCase.execute({ body: { organizationId: 'acme', actionType: 'LOGIN', userId: 'u1' }, organizationId: 'acme', now: NOW });
        expect(published).toHaveLength(1);
      }),
    );
  });

  it('refuses a batch over its organization\'s rate limit whole, with the seconds to wait, and lets other organizations through', async () => {
    let nowMs = 0;
    const limiter = new IngestRateLimiter({ rateLimitPerSecond: 100, rateBurst: 1000 }, () => nowMs);
    const { useCase, published } = setup([], false, KEEP_FOREVER, limiter);
    const batch = (org: string, n: number) => Array.from({ length: n }, () => ({ organizationId: org, actionType: 'LOGIN' }));
    expect((await useCase.execute({ body: batch('noisy', 1000), organizationId: 'noisy', now: NOW })).ids).toHaveLength(1000);
    const refused = await rejection(useCase.execute({ body: batch('noisy', 250), organizationId: 'noisy', now: NOW }));
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.retryAfterSeconds).toBe(3);
    expect(published.flat()).toHaveLength(1000);
    expect((await useCase.execute({ body: batch('quiet', 10), organizationId: 'quiet', now: NOW })).ids).toHaveLength(10);
    nowMs = 2_500;
    expect((await useCase.execute({ body: batch('noisy', 250), organizationId: 'noisy', now: NOW })).ids).toHaveLength(250);
    expect(published.flat()).toHaveLength(1260);
  });

  it('publishes the batch redacted and returns the ids in order', async () => {
    const { useCase, published } = setup(['getSecrets'], true);
    const body = [
      { id: 'A1B2C3D4-0000-4000-8000-000000000001', organizationId: 'org_a', actionType: 'QUERY_RUN', queryName: 'getSecrets', metadata: { query: 'q', parameters: { p: 1 }, headers: { h: 1 } } },
      { organizationId: 'org_a', actionType: 'LOGIN' },
    ];
    const { ids } = await useCase.execute({ body, organizationId: 'org_a', now: NOW });
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(published).toHaveLength(1);
    expect(published[0].map((e) => e.id)).toEqual(ids);
    expect(published[0][0].metadata).toEqual({ query: 'q' });
    expect(published[0][1]).toMatchObject({ organizationId: 'org_a', actionType: 'LOGIN', createdAt: NOW.toISOString(), receivedAt: NOW.toISOString() });
  });

  it('refuses the whole batch, publishing nothing, when any event is invalid', async () => {
    const { useCase, published } = setup();
    const error = await rejection(
      useCase.execute({ body: [{ organizationId: 'org_a', actionType: 'LOGIN' }, { organizationId: 'org_a', actionType: 'NOPE' }], organizationId: 'org_a', now: NOW }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ index: 1, path: '[1].actionType', reason: 'must be one of the 34 action types (got "NOPE")' }]);
    expect(published).toEqual([]);
  });

  it('refuses the whole batch when an event belongs to another organization than the key', async () => {
    const { useCase, published } = setup();
    const error = await rejection(
      useCase.execute({ body: [{ organizationId: 'org_a', actionType: 'LOGIN' }, { organizationId: 'org_b', actionType: 'LOGIN' }], organizationId: 'org_a', now: NOW }),
    );
    expect(error.code).toBe('FORBIDDEN');
    expect(error.details).toEqual([{ index: 1, path: '[1].organizationId', reason: 'is "org_b"' }]);
    expect(published).toEqual([]);
  });

  it('refuses the whole batch with 400 naming createdAt and the retention when an event is older than the organization keeps', async () => {
    const { useCase, published } = setup([], false, { days: 30, defaultDays: 365, hold: null });
    const old = new Date(NOW.getTime() - 31 * DAY).toISOString();
    const error = await rejection(
      useCase.execute({ body: [{ organizationId: 'org_a', actionType: 'LOGIN' }, { organizationId: 'org_a', actionType: 'LOGIN', createdAt: old }], organizationId: 'org_a', now: NOW }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('30 days');
    expect(error.details).toEqual([
      {
        index: 1,
        path: '[1].createdAt',
        reason: `is ${old}, older than the retention of organization "org_a" (30 days: events created before ${new Date(NOW.getTime() - 30 * DAY).toISOString()} are purged)`,
      },
    ]);
    expect(published).toEqual([]);
    const single = await rejection(useCase.execute({ body: { organizationId: 'org_a', actionType: 'LOGIN', createdAt: old }, organizationId: 'org_a', now: NOW }));
    expect(single.details).toMatchObject([{ index: 0, path: 'createdAt' }]);
  });

  it('accepts an event exactly at the cutoff, and any old event under a legal hold or a retention of 0', async () => {
    const atCutoff = new Date(NOW.getTime() - 30 * DAY).toISOString();
    expect((await setup([], false, { days: 30, defaultDays: 365, hold: null }).useCase.execute({ body: { organizationId: 'org_a', actionType: 'LOGIN', createdAt: atCutoff }, organizationId: 'org_a', now: NOW })).ids).toHaveLength(1);
    const ancient = { organizationId: 'org_a', actionType: 'LOGIN', createdAt: '1970-01-01T00:00:00.000Z' };
    expect((await setup([], false, { days: 30, defaultDays: 365, hold: { reason: 'litigation' } }).useCase.execute({ body: ancient, organizationId: 'org_a', now: NOW })).ids).toHaveLength(1);
    expect((await setup([], false, { days: 0, defaultDays: 365, hold: null }).useCase.execute({ body: ancient, organizationId: 'org_a', now: NOW })).ids).toHaveLength(1);
    expect((await setup([], false, { days: null, defaultDays: 0, hold: null }).useCase.execute({ body: ancient, organizationId: 'org_a', now: NOW })).ids).toHaveLength(1);
  });

  it('accepts an event exactly when the purge would keep it, for any policy and date', async () => {
    const policy = fc.record({
      days: fc.option(fc.integer({ min: 0, max: 800 }), { nil: null }),
      defaultDays: fc.integer({ min: 0, max: 800 }),
      hold: fc.option(fc.constant({ reason: 'litigation' }), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(policy, fc.integer({ min: -900 * DAY, max: 60_000 }), async (p, offsetMs) => {
        const createdAt = new Date(NOW.getTime() + offsetMs);
        const { useCase, published } = setup([], false, p);
        const outcome = await useCase
          .execute({ body: { organizationId: 'org_a', actionType: 'LOGIN', createdAt: createdAt.toISOString() }, organizationId: 'org_a', now: NOW })
          .then(
            () => 'accepted',
            (error: AppError) => `${error.code} ${JSON.stringify(error.details)}`,
          );
        const purged = isPurged(resolveOrganizationRetention({ organizationId: 'org_a', ...p }, NOW), createdAt);
        if (purged) expect(outcome).toMatch(/^VALIDATION_FAILED .*"path":"createdAt"/);
        else expect(outcome).toBe('accepted');
        expect(published).toHaveLength(purged ? 0 : 1);
      }),
      { numRuns: 500 },
    );
  });
});
