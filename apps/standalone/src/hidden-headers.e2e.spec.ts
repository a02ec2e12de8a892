import { createAuditClient } from '@audit/audit-client';
import { createKey, idsOf, NOT_CLI_RECORD, postEvents, readStream, startStack, waitForRow, type Stack } from './standalone.e2e-helpers';

/** A standalone started with HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS=true: query headers are stored nowhere. */
describe('standalone with HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS=true', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS: 'true' });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('stores query runs without metadata.headers but with their query text and parameters, over HTTP and NATS', async () => {
    const org = 'org-hidden-headers';
    const { key } = await createKey(stack.env, org);
    const query = 'select * from payments where customer = {{ customer.id }}';
    const headers = { authorization: 'Bearer sk_live_never_store_me', 'x-request-id': 'req-42' };

    const res = await postEvents(stack.service.url, key, [
      { organizationId: org, actionType: 'QUERY_RUN', queryName: 'getPayments', metadata: { query, parameters: { 'customer.id': 9 }, headers } },
      { organizationId: org, actionType: 'PAGE_VIEW', pageName: 'Payments', metadata: { tab: 'recent' } },
    ]);
    expect(res.status).toBe(202);
    const [queryRunId, pageViewId] = idsOf(res);

    const client = await createAuditClient({ natsUrl: stack.nats.url });
    const { id: natsId } = await client
      .emit({ organizationId: org, actionType: 'QUERY_PREVIEW', queryName: 'getPayments', metadata: { query, headers } })
      .finally(() => client.close());

    await waitForRow(stack.db, [queryRunId, pageViewId, natsId]);
    const rows = await stack.db.query<{ id: string; metadata: unknown }>(`SELECT id, metadata FROM audit_trail_events WHERE "organizationId" = $1 AND ${NOT_CLI_RECORD}`, [org]);
    const byId = new Map(rows.map((r) => [r.id, r.metadata]));
    expect(rows).toHaveLength(3);
    expect(byId.get(queryRunId)).toEqual({ query, parameters: { 'customer.id': 9 } });
    expect(byId.get(natsId)).toEqual({ query });
    expect(byId.get(pageViewId)).toEqual({ tab: 'recent' });

    // The three events sent, and the record of the key's creation by the CLI.
    const log = await readStream(stack.nats.url, 'AUDIT_EVENTS');
    expect(log.filter((m) => !m.subject.endsWith('.UPDATE_ORGANIZATION'))).toHaveLength(3);
    expect(log).toHaveLength(4);
    expect(log.filter((m) => m.data.includes('sk_live_never_store_me') || m.data.includes('"headers"'))).toEqual([]);
  }, 60_000);
});
