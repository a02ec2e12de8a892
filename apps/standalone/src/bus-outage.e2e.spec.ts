import { createKey, NOT_CLI_RECORD, startStack, type Stack } from './standalone.e2e-helpers';
import { waitFor } from '@audit/testing';

/** The bus going away: ingest answers 503 (retry is safe), and once it is back the same request is accepted once. */
describe('standalone while NATS is down', () => {
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await startStack();
    key = (await createKey(stack.env, 'outage')).key;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const post = (body: unknown): Promise<Response> =>
    fetch(`${stack.service.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers 503 with Retry-After while the bus is down, and a retry with the same id is stored once after it returns', async () => {
    const event = { id: '0190f5e2-7c4a-7b3e-8d2a-1f2e3d4c5b6a', organizationId: 'outage', actionType: 'LOGIN', userId: 'u-1' };
    await stack.nats.stop();

    const refused = await post(event);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'BUS_UNAVAILABLE' } });
    const ready = await fetch(`${stack.service.url}/readyz`);
    expect(ready.status).toBe(503);

    await stack.nats.start();
    const accepted = await waitFor('ingest to accept again', async () => {
      const res = await post(event);
      return res.status === 202 ? res : undefined;
    }, 30_000, 500);
    expect(await accepted.json()).toEqual({ ids: [event.id] });
    // The same id again: deduplicated by the bus and by the store.
    expect((await post(event)).status).toBe(202);

    const rows = await waitFor('the row', async () => {
      const found = await stack.db.query<{ id: string }>(`SELECT id FROM audit_trail_events WHERE "organizationId" = 'outage' AND ${NOT_CLI_RECORD}`);
      return found.length > 0 ? found : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await stack.db.query(`SELECT id FROM audit_trail_events WHERE "organizationId" = 'outage' AND ${NOT_CLI_RECORD}`)).toEqual([{ id: event.id }]);
    expect(rows).toHaveLength(1);
  }, 90_000);
});
