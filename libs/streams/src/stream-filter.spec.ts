import type { AuditEvent } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { matchesFilter } from './stream-filter';

describe('matchesFilter', () => {
  const event: AuditEvent = canonicalEvent({
    organizationId: 'acme',
    actionType: 'QUERY_RUN',
    userId: 'u1',
    pageName: 'Orders',
    queryName: 'getOrders',
    resourceName: 'postgres-main',
    ipAddress: '203.0.113.7',
    metadata: { query: 'select * from invoices' },
  });

  it.each([
    [{}, true],
    [{ actionType: ['QUERY_RUN' as const, 'LOGIN' as const] }, true],
    [{ actionType: ['LOGIN' as const] }, false],
    [{ userId: 'u1', queryName: 'getOrders' }, true],
    [{ userId: 'u2' }, false],
    [{ ipAddress: '203.0.113.7' }, true],
    [{ q: 'INVOICES' }, true],
    [{ q: 'orders' }, true],
    [{ q: 'absent' }, false],
  ])('%j → %s', (filter, expected) => {
    expect(matchesFilter(filter, event)).toBe(expected);
  });
});
