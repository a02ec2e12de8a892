import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ActionType, AuditEvent } from '@audit/contracts';
import { STREAMS } from '@audit/messaging';
import { readStream, TestReceiver } from '@audit/testing';
import { sampleEvent, startAlertsStack, type AlertsStack } from '@audit/testing-pipeline';
import { firingId } from './alert-evaluator';
import type { AlertFiring } from './firing-delivery';
import type { AlertView, FiringView } from './model';
import { ALERT_RECIPES } from './recipes';

jest.setTimeout(180_000);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SECRET = 'alert-webhook-secret-0123456789';
// The evaluator's clock in these tests: a Tuesday at 22:30 UTC (outside working hours); ticks come 21 s
// after a minute starts (ALERTS_EVALUATION_DELAY is 20 s), so the minute just ended is due.
const T0 = Date.parse('2026-11-24T22:30:00.000Z');
const tickAt = (minute: number): Date => new Date(T0 + minute * MINUTE + 21_000);

let n = 0;
const at = (org: string, actionType: ActionType, time: number, userId = 'u-1'): AuditEvent =>
  sampleEvent(++n, { id: randomUUID(), organizationId: org, actionType, userId, user: { email: `${userId}@example.com`, userName: userId }, createdAt: new Date(time).toISOString(), receivedAt: new Date(time).toISOString() });

/** The evaluator over real Postgres, chDB and NATS, ticked with a controlled clock. */
describe('alert evaluation every minute', () => {
  let stack: AlertsStack;
  const receiver = new TestReceiver();

  beforeAll(async () => {
    stack = await startAlertsStack('audit_alerts_eval');
    await receiver.start();
  });

  // Each test's alerts are its own: the next test's ticks must not evaluate them.
  afterEach(async () => {
    await stack.db.query('UPDATE alerts SET enabled = false');
  });

  afterAll(async () => {
    await receiver.stop();
    await stack?.close();
  });

  /** Creates an alert through the API whose next window to evaluate ends at T0 + 1 minute. */
  const alertAt = async (org: string, body: Record<string, unknown>, path = `/${org}`): Promise<AlertView> => {
    const answer = await stack.call<AlertView>(org, 'POST', '/v1/alerts', { webhook: { url: receiver.url(path), secret: SECRET }, ...body });
    if (answer.status !== 201) throw new Error(`creating an alert answered ${answer.status}: ${answer.text}`);
    await stack.db.query(`UPDATE alerts SET "evaluatedUntil" = $2 WHERE id = $1`, [answer.body.id, new Date(T0)]);
    return answer.body;
  };
  const firings = async (org: string, alertId: string) => (await stack.call<{ items: FiringView[] }>(org, 'GET', `/v1/alerts/${alertId}/firings`)).body.items;
  const verify = (request: { rawBody: Buffer; headers: Record<string, unknown> }): AlertFiring => {
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-audit-signature'])) ?? [];
    const expected = createHmac('sha256', SECRET).update(`${t}.${request.rawBody.toString('utf8')}`).digest();
    expect(timingSafeEqual(Buffer.from(v1 ?? '', 'hex'), expected)).toBe(true);
    return JSON.parse(request.rawBody.toString('utf8')) as AlertFiring;
  };

  it('each recipe fires through the scheduled path on its burst, once per window, recorded and delivered signed', async () => {
    const recipe = (name: string) => {
      const found = ALERT_RECIPES.find((r) => r.name === name);
      if (!found) throw new Error(`no recipe ${name}`);
      return found;
    };
    const end = T0 + MINUTE;
    await stack.store([
      // bulk-export: one user exporting 6 times in the hour, another twice.
      ...Array.from({ length: 6 }, (_, i) => at('rx-export', 'PAGE_EXPORT', end - (i + 1) * 5 * MINUTE, 'u-mallory')),
      ...Array.from({ length: 2 }, (_, i) => at('rx-export', 'PAGE_EXPORT', end - (i + 1) * 7 * MINUTE, 'u-ada')),
      // login-recovery-burst: 2 a day in this hour over the past week, 25 in the last hour.
      ...Array.from({ length: 7 }, (_, d) => [1, 2].map((i) => at('rx-recovery', 'REQUEST_PASSWORD_RESET_LINK', end - (d + 1) * DAY - HOUR + i * MINUTE))).flat(),
      ...Array.from({ length: 25 }, (_, i) => at('rx-recovery', 'REQUEST_PASSWORDLESS_LOGIN', end - HOUR + i * 2 * MINUTE)),
      // off-hours-permission-change: a group change at 22:10 on a Tuesday.
      at('rx-perm', 'ADD_USERS_TO_GROUP', end - 20 * MINUTE),
    ]);
    const alerts = {
      export: await alertAt('rx-export', { name: 'bulk-export', query: recipe('bulk-export').search, condition: recipe('bulk-export').condition }),
      recovery: await alertAt('rx-recovery', { name: 'recovery', query: recipe('login-recovery-burst').search, condition: recipe('login-recovery-burst').condition }),
      perm: await alertAt('rx-perm', { name: 'perm', query: recipe('off-hours-permission-change').search, condition: recipe('off-hours-permission-change').condition }),
    };
    expect(await stack.evaluator.tick(tickAt(1))).toEqual({ skipped: false, evaluated: 3, fired: 3, failed: 0, held: 0, delivered: 3, deliveryFailures: 0 });
    // The next minute is inside the windows that fired: evaluated, quiet.
    expect(await stack.evaluator.tick(tickAt(2))).toEqual({ skipped: false, evaluated: 3, fired: 0, failed: 0, held: 0, delivered: 0, deliveryFailures: 0 });

    const [delivered] = receiver.on('/rx-export');
    const body = verify(delivered);
    const id = firingId(alerts.export.id, new Date(end));
    expect(body).toEqual({
      id,
      organizationId: 'rx-export',
      alert: { id: alerts.export.id, name: 'bulk-export', search: 'action:PAGE_EXPORT' },
      window: { from: new Date(end - HOUR).toISOString(), to: new Date(end).toISOString() },
      groups: [{ userId: 'u-mallory', count: 6 }],
      firedAt: tickAt(1).toISOString(),
    });
    expect(receiver.on('/rx-export')).toHaveLength(1);
    expect(verify(receiver.on('/rx-recovery')[0]).groups).toEqual([{ userId: null, count: 25, baseline: 2 }]);
    expect(verify(receiver.on('/rx-perm')[0]).groups).toEqual([{ userId: null, count: 1 }]);
    expect(await firings('rx-export', alerts.export.id)).toEqual([
      expect.objectContaining({ id, recorded: true, delivery: expect.objectContaining({ status: 'delivered', attempts: 1, lastError: null }) }),
    ]);
    // Recorded in the organization's own audit trail, once, as the automation that ran.
    const recorded = (await readStream(stack.bus.jsm, STREAMS.events)).map((m) => JSON.parse(m.data) as AuditEvent).filter((e) => e.id === id);
    expect(recorded).toEqual([expect.objectContaining({ organizationId: 'rx-export', actionType: 'RUN_WORKFLOW', userId: null, metadata: { alertFiring: { id, alert: body.alert, window: body.window, groups: body.groups } } })]);
  });

  it('two evaluators at once store and deliver one firing per window', async () => {
    const org = 'twin';
    // A login in each of the 6 minutes after T0; the alert fires on any login in a 1-minute window.
    await stack.store(Array.from({ length: 6 }, (_, i) => at(org, 'LOGIN', T0 + i * MINUTE + 10_000)));
    const alert = await alertAt(org, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 } });
    const replica = await stack.replica();
    try {
      const reports = await Promise.all([stack.evaluator.tick(tickAt(6)), replica.evaluator.tick(tickAt(6))]);
      expect(reports.reduce((sum, r) => sum + r.evaluated, 0)).toBe(6);
      expect(reports.reduce((sum, r) => sum + r.fired, 0)).toBe(6);
      // Each replica again, later: nothing left to do for either.
      for (const evaluator of [stack.evaluator, replica.evaluator]) expect(await evaluator.tick(tickAt(6))).toMatchObject({ evaluated: 0, fired: 0 });
    } finally {
      await replica.close();
    }
    const stored = await firings(org, alert.id);
    expect(stored.map((f) => f.window.to).sort()).toEqual(Array.from({ length: 6 }, (_, i) => new Date(T0 + (i + 1) * MINUTE).toISOString()));
    const ids = receiver.on(`/${org}`).map((r) => verify(r).id);
    expect(ids.sort()).toEqual(stored.map((f) => f.id).sort());
  });

  it('a restarted evaluator resumes at the next minute: none skipped, none repeated', async () => {
    const org = 'restart';
    // Logins in minutes 1, 3 and 5 after T0 (their windows end at T0 + 2, 4, 6 minutes).
    await stack.store([1, 3, 5].map((m) => at(org, 'LOGIN', T0 + m * MINUTE + 30_000)));
    const alert = await alertAt(org, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 } });
    // A tick before the minute's delay has passed evaluates nothing of it.
    expect(await stack.evaluator.tick(new Date(T0 + MINUTE + 5_000))).toMatchObject({ evaluated: 0 });
    expect(await stack.evaluator.tick(tickAt(3))).toMatchObject({ evaluated: 3, fired: 1 });
    // The process stops; another starts (its own pools and state) and ticks some minutes later.
    const restarted = await stack.replica();
    try {
      expect(await restarted.evaluator.tick(tickAt(8))).toMatchObject({ evaluated: 5, fired: 2 });
      expect(await restarted.evaluator.tick(tickAt(8))).toMatchObject({ evaluated: 0, fired: 0 });
    } finally {
      await restarted.close();
    }
    expect((await firings(org, alert.id)).map((f) => f.window.to).sort()).toEqual([2, 4, 6].map((m) => new Date(T0 + m * MINUTE).toISOString()));
    const [{ evaluatedUntil }] = await stack.db.query<{ evaluatedUntil: Date }>(`SELECT "evaluatedUntil" FROM alerts WHERE id = $1`, [alert.id]);
    expect(evaluatedUntil.toISOString()).toBe(new Date(T0 + 8 * MINUTE).toISOString());
  });

  it('waits for the projector: an event written before its minute is evaluated but projected after it fires once, nothing evaluated twice', async () => {
    const org = 'late';
    // Hours after the other tests' events, so that their high-water mark is behind this test's minutes.
    const T1 = T0 + 3 * HOUR;
    const tickAt1 = (minute: number): Date => new Date(T1 + minute * MINUTE + 21_000);
    const alert = await alertAt(org, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 } });
    await stack.db.query(`UPDATE alerts SET "evaluatedUntil" = $2 WHERE id = $1`, [alert.id, new Date(T1)]);
    // The projector has written another organization's event of T1 and stalls there; the writer then has
    // this organization's login of the first minute.
    await stack.store([at('late-other', 'LOGIN', T1)]);
    const late = at(org, 'LOGIN', T1 + 30_000);
    await stack.write([late]);

    // Due by the clock, but ClickHouse does not hold the minute's login yet: held, not counted as quiet.
    expect(await stack.evaluator.tick(tickAt1(1))).toMatchObject({ evaluated: 0, fired: 0, held: 1 });
    expect(await stack.evaluator.tick(tickAt1(3))).toMatchObject({ evaluated: 0, fired: 0, held: 1 });
    expect(await firings(org, alert.id)).toEqual([]);

    // The projector catches up: the three minutes are evaluated once, the first fires.
    await stack.project([late]);
    expect(await stack.evaluator.tick(tickAt1(3))).toMatchObject({ evaluated: 3, fired: 1, held: 0 });
    expect(await stack.evaluator.tick(tickAt1(3))).toMatchObject({ evaluated: 0, fired: 0, held: 0 });
    expect(await stack.evaluator.tick(tickAt1(4))).toMatchObject({ evaluated: 1, fired: 0, held: 0 });
    const stored = await firings(org, alert.id);
    expect(stored.map((f) => [f.window.to, f.groups])).toEqual([[new Date(T1 + MINUTE).toISOString(), [{ userId: null, count: 1 }]]]);
    expect(receiver.on(`/${org}`).map((r) => verify(r).id)).toEqual([stored[0].id]);
  });

  it('an organization with nothing left to project is evaluated while the mark stands still (a quiet deployment)', async () => {
    const org = 'quiet';
    const T2 = T0 + 6 * HOUR;
    const alert = await alertAt(org, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 } });
    await stack.db.query(`UPDATE alerts SET "evaluatedUntil" = $2 WHERE id = $1`, [alert.id, new Date(T2)]);
    // Its one event, projected; nothing received after it anywhere, so the mark stays at it.
    await stack.store([at(org, 'LOGIN', T2 + 10_000)]);
    expect(await stack.evaluator.tick(new Date(T2 + 10 * MINUTE + 21_000))).toMatchObject({ evaluated: 10, fired: 1, held: 0 });
  });

  it('retries a refused delivery with backoff and keeps its state on the firing; a disabled alert is not evaluated', async () => {
    const org = 'flaky';
    await stack.store([at(org, 'LOGIN', T0 + 10_000)]);
    const alert = await alertAt(org, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 } });
    receiver.respond(`/${org}`, () => 503);
    expect(await stack.evaluator.tick(tickAt(1))).toMatchObject({ fired: 1, delivered: 0, deliveryFailures: 1 });
    const [failed] = await firings(org, alert.id);
    expect(failed.delivery).toEqual({ status: 'pending', attempts: 1, lastError: expect.stringContaining('503'), nextAttemptAt: new Date(tickAt(1).getTime() + MINUTE).toISOString(), deliveredAt: null });
    // Not due yet: no attempt. Then the second attempt, refused again, waits 2 minutes.
    expect(await stack.evaluator.tick(new Date(tickAt(1).getTime() + 30_000))).toMatchObject({ delivered: 0, deliveryFailures: 0 });
    expect(await stack.evaluator.tick(new Date(tickAt(1).getTime() + MINUTE))).toMatchObject({ deliveryFailures: 1 });
    expect((await firings(org, alert.id))[0].delivery).toMatchObject({ attempts: 2, nextAttemptAt: new Date(tickAt(1).getTime() + 3 * MINUTE).toISOString() });
    receiver.respond(`/${org}`, () => 204);
    expect(await stack.evaluator.tick(new Date(tickAt(1).getTime() + 3 * MINUTE))).toMatchObject({ delivered: 1 });
    expect((await firings(org, alert.id))[0]).toMatchObject({ recorded: true, delivery: { status: 'delivered', attempts: 3, lastError: null, nextAttemptAt: null } });
    // Three attempts, one firing id: a receiver can tell a retry from a new firing.
    expect(new Set(receiver.on(`/${org}`).map((r) => verify(r).id)).size).toBe(1);
    expect(receiver.on(`/${org}`).map((r) => r.status)).toEqual([503, 503, 204]);

    await stack.call(org, 'PUT', `/v1/alerts/${alert.id}`, { name: 'any login', query: 'action:LOGIN', condition: { kind: 'count', atLeast: 1, windowMinutes: 1 }, webhook: { url: receiver.url(`/${org}`) }, enabled: false });
    await stack.store([at(org, 'LOGIN', T0 + 20 * MINUTE)]);
    await stack.evaluator.tick(tickAt(30));
    expect(await firings(org, alert.id)).toHaveLength(1);
  });
});
