import { createHmac, timingSafeEqual } from 'node:crypto';
import { register } from 'prom-client';
import type { AuditEvent } from '@audit/contracts';
import { DLQ_HEADERS, eventsSubject, STREAMS } from '@audit/messaging';
import { canonicalEvent, readStream, waitFor, type TestBus, type TestReceiver } from '@audit/testing';
import { SINKS_WEBHOOK_SECRET as WEBHOOK_SECRET, startSinksStack, type SinksStack } from '@audit/testing-pipeline';
import { DATADOG_MAX_BYTES, DATADOG_MAX_ENTRIES, type DatadogEntry } from './datadog.sink';

describe('sinks: stdout, Datadog and webhook', () => {
  let stack: SinksStack;
  let bus: TestBus;
  let receiver: TestReceiver;
  let counter = 0;

  const publish = async (events: AuditEvent[]): Promise<void> => {
    await Promise.all(events.map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
  };
  const makeEvents = (org: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): AuditEvent[] =>
    Array.from({ length: n }, (_, i) =>
      canonicalEvent({
        organizationId: org,
        actionType: i % 2 === 0 ? 'QUERY_RUN' : 'LOGIN',
        userId: `user-${counter++}`,
        ipAddress: '10.1.2.3',
        metadata: { i, text: 'comma, "quote"\nnewline ünïcødé', ...extra(i) },
      }),
    );
  const datadogEntries = (org: string): DatadogEntry[] =>
    receiver
      .on('/dd')
      .filter((r) => r.status < 300)
      .flatMap((r) => JSON.parse(r.body) as DatadogEntry[])
      .filter((e) => e.audit.organizationId === org);
  const webhookEvents = (org: string): AuditEvent[] =>
    receiver
      .on('/hook')
      .filter((r) => r.status < 300)
      .flatMap((r) => (JSON.parse(r.body) as { events: AuditEvent[] }).events)
      .filter((e) => e.organizationId === org);
  const ids = (events: Array<{ id: string }>): string[] => events.map((e) => e.id).sort();
  const metric = async (sink: string, outcome: string): Promise<number> => {
    const values = (await register.getSingleMetric('audit_sink_events_total')?.get())?.values ?? [];
    return values.find((v) => v.labels.sink === sink && v.labels.outcome === outcome)?.value ?? 0;
  };

  beforeAll(async () => {
    stack = await startSinksStack();
    ({ bus, receiver } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('stdout: one JSON line per event, exactly the events, in stream order', async () => {
    const events = makeEvents('stdout-org', 50);
    await publish(events);
    const lines = await waitFor('50 stdout lines', () => {
      const parsed = stack
        .stdoutText()
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as AuditEvent)
        .filter((e) => e.organizationId === 'stdout-org');
      return parsed.length >= 50 ? parsed : undefined;
    });
    expect(lines).toEqual(events);
    expect(stack.stdoutText().endsWith('\n')).toBe(true);
  });

  it('Datadog: gzip JSON with the API key, ddsource, service, hostname and tags per organization and action type', async () => {
    const events = makeEvents('dd-org', 20);
    await publish(events);
    const entries = await waitFor('20 Datadog entries', () => (datadogEntries('dd-org').length >= 20 ? datadogEntries('dd-org') : undefined));
    expect(ids(entries.map((e) => e.audit))).toEqual(ids(events));
    const request = receiver.on('/dd').find((r) => r.body.includes('dd-org'));
    expect(request?.headers['dd-api-key']).toBe('dd-test-key');
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.headers['content-type']).toBe('application/json');
    // The body on the wire really is gzip (magic bytes), not just labelled so.
    expect(request?.rawBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const entry of entries) {
      expect(entry).toMatchObject({ ddsource: 'audit-trail', service: 'audit-log', hostname: 'exporter-test-host', date: entry.audit.createdAt });
      expect(entry.ddtags).toBe(`organization:dd-org,action_type:${entry.audit.actionType}`);
      expect(entry.audit).toEqual(byId.get(entry.audit.id));
    }
  });

  it('Datadog: batches stay within 1000 entries and 5 MB', async () => {
    const many = makeEvents('dd-many', 2_500);
    // ~30 KiB of metadata each: 400 of them are ~12 MB, more than two requests' worth.
    const big = makeEvents('dd-big', 400, () => ({ blob: 'x'.repeat(30_000) }));
    await publish(many);
    await publish(big);
    await waitFor('every event at Datadog', () => datadogEntries('dd-many').length >= 2_500 && datadogEntries('dd-big').length >= 400, 60_000);
    expect(ids(datadogEntries('dd-many').map((e) => e.audit))).toEqual(ids(many));
    expect(ids(datadogEntries('dd-big').map((e) => e.audit))).toEqual(ids(big));
    const requests = receiver.on('/dd');
    for (const r of requests) {
      expect((JSON.parse(r.body) as unknown[]).length).toBeLessThanOrEqual(DATADOG_MAX_ENTRIES);
      expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(DATADOG_MAX_BYTES);
    }
    expect(requests.filter((r) => r.body.includes('dd-big')).length).toBeGreaterThanOrEqual(3);
    // And they are batches, not one request per event.
    expect(Math.max(...requests.map((r) => (JSON.parse(r.body) as unknown[]).length))).toBeGreaterThan(100);
  }, 90_000);

  it('Datadog: retries after a 503 and delivers everything', async () => {
    let refused = 0;
    receiver.respond('/dd', (r) => (r.body.includes('dd-retry') && refused++ < 2 ? 503 : 202));
    const retriedBefore = await metric('sink-datadog', 'retried');
    const events = makeEvents('dd-retry', 30);
    await publish(events);
    await waitFor('the events after two 503s', () => datadogEntries('dd-retry').length >= 30);
    expect(ids(datadogEntries('dd-retry').map((e) => e.audit))).toEqual(ids(events));
    expect(receiver.on('/dd').filter((r) => r.body.includes('dd-retry') && r.status === 503)).toHaveLength(2);
    expect(await metric('sink-datadog', 'retried')).toBeGreaterThan(retriedBefore);
    receiver.respond('/dd', () => 202);
  });

  it('loses nothing across a receiver outage (connection refused, then 503s)', async () => {
    await receiver.stop();
    const during = makeEvents('outage', 300);
    await publish(during.slice(0, 150));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await receiver.start();
    receiver.respond('/dd', () => 503);
    receiver.respond('/hook', () => 503);
    await publish(during.slice(150));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    receiver.respond('/dd', () => 202);
    receiver.respond('/hook', () => 200);
    await waitFor('every outage event at both receivers', () => datadogEntries('outage').length >= 300 && webhookEvents('outage').length >= 300, 60_000);
    expect(ids(datadogEntries('outage').map((e) => e.audit))).toEqual(ids(during));
    expect(ids(webhookEvents('outage'))).toEqual(ids(during));
    const dead = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.data.includes('"outage"'));
    expect(dead).toEqual([]);
  }, 90_000);

  it('webhook: signed JSON batches whose signature verifies over the raw body', async () => {
    const events = makeEvents('hook-org', 25);
    await publish(events);
    await waitFor('25 webhook events', () => webhookEvents('hook-org').length >= 25);
    expect(ids(webhookEvents('hook-org'))).toEqual(ids(events));
    const requests = receiver.on('/hook').filter((r) => r.body.includes('hook-org'));
    for (const r of requests) {
      expect(r.headers['content-type']).toBe('application/json');
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-audit-signature']));
      expect(match).not.toBeNull();
      const [, t, v1] = match as RegExpExecArray;
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(300);
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${r.rawBody.toString('utf8')}`).digest();
      expect(timingSafeEqual(expected, Buffer.from(v1, 'hex'))).toBe(true);
      // The same signature does not cover a changed body.
      const forged = createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${r.rawBody.toString('utf8').replace('hook-org', 'hook-orh')}`).digest();
      expect(timingSafeEqual(forged, Buffer.from(v1, 'hex'))).toBe(false);
    }
  });

  it('webhook: a 4xx other than 429 dead-letters the batch with the reason; the rest flows on', async () => {
    receiver.respond('/hook', (r) => (r.body.includes('hook-refused') ? 400 : 200));
    const refused = makeEvents('hook-refused', 3);
    const fine = makeEvents('hook-fine', 3);
    await publish(refused);
    await waitFor('3 dead letters', async () => (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.subject === 'audit.dlq.sink-webhook').length >= 3);
    await publish(fine);
    await waitFor('the fine events', () => webhookEvents('hook-fine').length >= 3);
    const dead = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.subject === 'audit.dlq.sink-webhook');
    expect(ids(dead.map((m) => JSON.parse(m.data) as AuditEvent))).toEqual(ids(refused));
    for (const m of dead) expect(m.headers[DLQ_HEADERS.reason]).toMatch(/sink-webhook: receiver refused the batch: 400/);
    expect(await metric('sink-webhook', 'failed')).toBe(3);
    // Datadog took the same events: one sink's refusal is no other sink's business.
    await waitFor('the refused events at Datadog', () => datadogEntries('hook-refused').length >= 3);
    receiver.respond('/hook', () => 200);
  });
});
