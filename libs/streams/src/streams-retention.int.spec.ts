import type { AuditEvent, StreamView } from '@audit/contracts';
import { RetentionPoliciesRepository } from '@audit/persistence';
import { cutoffFor } from '@audit/retention';
import { TestReceiver, waitFor } from '@audit/testing';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';

jest.setTimeout(60_000);

const DAY = 86_400_000;

/**
 * The bus keeps its copies of the events (AUDIT_EVENTS, STREAM_MAX_AGE) longer than an organization's
 * retention may keep them in the stores: a replay, a resumed stream or a lagging one must not send those the
 * purge removes. Real NATS and Postgres, the streams service over HTTP, a real webhook receiver.
 */
describe('streams: retention caps every re-delivery', () => {
  let stack: StreamsStack;
  let receiver: TestReceiver;

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_retention');
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.stop();
  });

  const webhook = (at: string, extra: Record<string, unknown> = {}) => ({ name: at.slice(1), destination: { type: 'webhook', url: receiver.url(at), secrets: ['retention-secret-0123456789'] }, ...extra });
  const isStreamChangeRecord = (e: AuditEvent): boolean => e.actionType === 'UPDATE_ORGANIZATION' && (e.metadata as { setting?: unknown }).setting === 'streams';
  /** The events the test published that the receiver accepted, in arrival order, duplicates kept. */
  const accepted = (at: string): AuditEvent[] =>
    receiver
      .on(at)
      .filter((r) => r.status < 300)
      .flatMap((r) => (JSON.parse(r.body) as { events: AuditEvent[] }).events)
      .filter((e) => !isStreamChangeRecord(e));
  const ids = (events: AuditEvent[]): string[] => events.map((e) => e.id);
  /** Events of the organization created `days` ago (received now: the bus holds them as ingest stored them). */
  const createdDaysAgo = (organizationId: string, n: number, days: number): AuditEvent[] =>
    stack.events(organizationId, n).map((e) => ({ ...e, createdAt: new Date(Date.now() - days * DAY).toISOString() }));
  /** Old and recent events interleaved, as the bus would hold a backfill beside live traffic. */
  const interleave = (a: AuditEvent[], b: AuditEvent[]): AuditEvent[] => a.flatMap((e, i) => [e, ...(b[i] ? [b[i]] : [])]).concat(b.slice(a.length));
  const expiredCount = async (streamId: string): Promise<number> => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('audit_stream_events_total{') && l.includes(`stream="${streamId}"`) && l.includes('outcome="expired"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('a replay from before the cutoff starts at the cutoff and sends every event kept exactly once, none of those purged', async () => {
    const org = 'replay-cap';
    const at = '/replay-cap';
    const stream = await stack.create(org, webhook(at));
    const old = createdDaysAgo(org, 12, 10);
    const kept = createdDaysAgo(org, 15, 1);
    const published = interleave(old, kept);
    await stack.publish(published);
    // Within the default retention (365 days) every event goes out live.
    await waitFor('every event delivered live', () => new Set(ids(accepted(at))).size === published.length);
    const sentLive = accepted(at).length;

    await stack.app.get(RetentionPoliciesRepository).setDays(org, 3);
    const asked = new Date(Date.now() - 30 * DAY);
    const before = Date.now();
    const replay = await stack.call<StreamView>(org, 'POST', `/v1/streams/${stream.id}/replay`, { from: asked.toISOString() });
    const after = Date.now();
    expect(replay.status).toBe(202);
    const startsAt = new Date(replay.body.replay?.from ?? 0).getTime();
    expect(startsAt).toBeGreaterThanOrEqual(cutoffFor(3, new Date(before)).getTime());
    expect(startsAt).toBeLessThanOrEqual(cutoffFor(3, new Date(after)).getTime());

    await waitFor('the replay to finish', async () => (await stack.call<StreamView>(org, 'GET', `/v1/streams/${stream.id}`)).body.replay === null);
    await waitFor('the replayed events', () => accepted(at).length >= sentLive + kept.length);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ids(accepted(at).slice(sentLive))).toEqual(ids(kept));
    expect(await expiredCount(stream.id)).toBe(old.length);
  });

  it('a stream resumed (or lagging) past the cutoff skips the events the purge removed and sends the rest once, in order', async () => {
    const org = 'resume-cap';
    const at = '/resume-cap';
    const stream = await stack.create(org, webhook(at, { paused: true }));
    // Published while retention was longer; shortened while the stream waited.
    const old = createdDaysAgo(org, 10, 8);
    const kept = createdDaysAgo(org, 10, 0.5);
    await stack.publish(interleave(old, kept));
    await stack.app.get(RetentionPoliciesRepository).setDays(org, 7);
    expect((await stack.call<StreamView>(org, 'POST', `/v1/streams/${stream.id}/resume`)).status).toBe(200);
    await waitFor('the kept events', () => accepted(at).length >= kept.length);
    await waitFor('every event acknowledged', async () => (await stack.call<StreamView>(org, 'GET', `/v1/streams/${stream.id}`)).body.lag?.events === 0);
    expect(ids(accepted(at))).toEqual(ids(kept));
    expect(await expiredCount(stream.id)).toBe(old.length);
  });

  it('a legal hold or a retention of 0 days sends everything the bus holds', async () => {
    const org = 'held-cap';
    const at = '/held-cap';
    const policies = stack.app.get(RetentionPoliciesRepository);
    await policies.setDays(org, 3);
    await policies.hold(org, 'litigation');
    const stream = await stack.create(org, webhook(at));
    const events = interleave(createdDaysAgo(org, 5, 10), createdDaysAgo(org, 5, 1));
    await stack.publish(events);
    await waitFor('every event', () => accepted(at).length >= events.length);
    expect(ids(accepted(at))).toEqual(ids(events));
    await policies.release(org);
    await policies.setDays(org, 0);
    const replay = await stack.call<StreamView>(org, 'POST', `/v1/streams/${stream.id}/replay`, { from: new Date(Date.now() - 30 * DAY).toISOString() });
    expect(replay.status).toBe(202);
    await waitFor('the replay', () => accepted(at).length >= 2 * events.length);
    expect(ids(accepted(at).slice(events.length))).toEqual(ids(events));
  });

  it('a replay `from` in the future or malformed is still a 400 naming the field', async () => {
    const org = 'bad-from';
    const stream = await stack.create(org, webhook('/bad-from'));
    await stack.app.get(RetentionPoliciesRepository).setDays(org, 3);
    for (const from of [new Date(Date.now() + DAY).toISOString(), 'yesterday', 42]) {
      const answer = await stack.call<{ details?: Array<{ path: string }> }>(org, 'POST', `/v1/streams/${stream.id}/replay`, { from });
      expect(answer.status).toBe(400);
      expect(answer.text).toMatch(/from/);
    }
  });
});
