import type { AuditEvent } from '@audit/contracts';
import type { EventPublisher } from '@audit/messaging';
import { AppError } from '@audit/platform';
import { IngestEventsUseCase } from './ingest-events.use-case';
import type { RedactionPolicyService } from './redaction-policy.service';

const NOW = new Date('2026-06-01T12:00:00.000Z');

function setup(hidden: string[] = [], hideAllHeaders = false) {
  const published: AuditEvent[][] = [];
  const publisher = { publishEvents: (events: readonly AuditEvent[]) => (published.push([...events]), Promise.resolve()) } as unknown as EventPublisher;
  const policies = { policyFor: () => Promise.resolve({ hideAllHeaders, hiddenParameterQueries: new Set(hidden) }) } as unknown as RedactionPolicyService;
  return { useCase: new IngestEventsUseCase(publisher, policies), published };
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
});
