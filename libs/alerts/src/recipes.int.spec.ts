import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseRow, type ClickHouseEventsRepository } from '@audit/clickhouse';
import type { ActionType, AuditEvent } from '@audit/contracts';
import { parseSearch } from '@audit/search';
import { TestReceiver, type TestClickHouse } from '@audit/testing';
import { embeddedEventsRepository, sampleEvent } from '@audit/testing-pipeline';
import { evaluateAlert } from './alert-counts';
import { deliverFiring, type AlertFiring } from './firing-delivery';
import { ALERT_RECIPES, type AlertRecipe } from './recipes';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// A Tuesday, 22:30 UTC (outside working hours), and the same Tuesday at 11:30 (inside).
const EVENING = new Date('2026-11-24T22:30:00.000Z');
const MIDDAY = new Date('2026-11-24T11:30:00.000Z');

const recipe = (name: string): AlertRecipe => {
  const found = ALERT_RECIPES.find((r) => r.name === name);
  if (!found) throw new Error(`no recipe ${name}`);
  return found;
};

let n = 0;
const at = (org: string, actionType: ActionType, time: number, userId = 'u-1'): AuditEvent =>
  sampleEvent(++n, { id: randomUUID(), organizationId: org, actionType, userId, user: { email: `${userId}@example.com`, userName: userId }, createdAt: new Date(time).toISOString() });

describe('alert recipes over ClickHouse (chDB)', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;
  let repo: ClickHouseEventsRepository;

  beforeAll(async () => {
    ({ ch, client, repo } = await embeddedEventsRepository());
  }, 120_000);

  afterAll(async () => {
    await ch?.drop();
  });

  const insert = (events: AuditEvent[]) => repo.insertNew(events.map(toClickHouseRow));
  const fire = (r: AlertRecipe, org: string, now: Date) => evaluateAlert(client, org, parseSearch(r.search, now), new Map(), r.condition, now);

  it('bulk-export fires for the one user who exported 6 times in the hour, and stays quiet on a normal day', async () => {
    const r = recipe('bulk-export');
    const now = MIDDAY.getTime();
    await insert([
      ...Array.from({ length: 6 }, (_, i) => at('export-burst', 'PAGE_EXPORT', now - (i + 1) * 5 * MINUTE, 'u-mallory')),
      ...Array.from({ length: 2 }, (_, i) => at('export-burst', 'PAGE_EXPORT', now - (i + 1) * 7 * MINUTE, 'u-ada')),
      // A normal day: several users exporting a few times an hour, one up to the bound (5), older bursts outside the window.
      ...['u-a', 'u-b', 'u-c'].flatMap((u) => Array.from({ length: 2 }, (_, i) => at('export-normal', 'PAGE_EXPORT', now - (i + 1) * 11 * MINUTE, u))),
      ...Array.from({ length: 5 }, (_, i) => at('export-normal', 'PAGE_EXPORT', now - (i + 1) * 9 * MINUTE, 'u-busy')),
      ...Array.from({ length: 10 }, (_, i) => at('export-normal', 'PAGE_EXPORT', now - 2 * HOUR - i * MINUTE, 'u-busy')),
      ...Array.from({ length: 10 }, (_, i) => at('export-normal', 'PAGE_VIEW', now - i * MINUTE, 'u-busy')),
    ]);
    expect(await fire(r, 'export-burst', MIDDAY)).toEqual([{ userId: 'u-mallory', count: 6 }]);
    expect(await fire(r, 'export-normal', MIDDAY)).toEqual([]);
  });

  it('login-recovery-burst fires at 5 × the same hour of the past week, and not on a usual hour or a usually empty one', async () => {
    const r = recipe('login-recovery-burst');
    const now = MIDDAY.getTime();
    const week = (org: string, perHour: number) =>
      Array.from({ length: 7 }, (_, d) =>
        Array.from({ length: perHour }, (_, i) => at(org, i % 2 ? 'REQUEST_PASSWORD_RESET_LINK' : 'REQUEST_PASSWORDLESS_LOGIN', now - (d + 1) * DAY - HOUR + (i + 1) * MINUTE, `u-${i}`)),
      ).flat();
    // Other hours of those days are busier and must not count toward the baseline.
    const otherHours = (org: string) => Array.from({ length: 7 }, (_, d) => Array.from({ length: 40 }, (_, i) => at(org, 'REQUEST_PASSWORD_RESET_LINK', now - (d + 1) * DAY + 2 * HOUR + i * MINUTE))).flat();
    const lastHour = (org: string, count: number) => Array.from({ length: count }, (_, i) => at(org, 'REQUEST_PASSWORD_RESET_LINK', now - HOUR + i * MINUTE, `u-${i % 9}`));
    await insert([
      ...week('recovery-burst', 10),
      ...otherHours('recovery-burst'),
      ...lastHour('recovery-burst', 50),
      ...week('recovery-normal', 10),
      ...otherHours('recovery-normal'),
      ...lastHour('recovery-normal', 14),
      // Never any in this hour before: 6 is six times nothing, but under the minimum of 20.
      ...lastHour('recovery-quiet', 6),
    ]);
    expect(await fire(r, 'recovery-burst', MIDDAY)).toEqual([{ userId: null, count: 50, baseline: 10 }]);
    expect(await fire(r, 'recovery-normal', MIDDAY)).toEqual([]);
    expect(await fire(r, 'recovery-quiet', MIDDAY)).toEqual([]);
  });

  it('off-hours-permission-change fires on a group change at 22:10 on a weekday, and stays quiet on changes in working hours', async () => {
    const r = recipe('off-hours-permission-change');
    await insert([
      at('perm-evening', 'ADD_USERS_TO_GROUP', EVENING.getTime() - 20 * MINUTE),
      at('perm-evening', 'LOGIN', EVENING.getTime() - 10 * MINUTE),
      ...(['CREATE_GROUP', 'UPDATE_GROUP', 'DISABLE_USER'] as const).map((t, i) => at('perm-day', t, MIDDAY.getTime() - (i + 1) * 10 * MINUTE)),
      at('perm-day', 'LOGIN', MIDDAY.getTime() - 5 * MINUTE),
    ]);
    expect(await fire(r, 'perm-evening', EVENING)).toEqual([{ userId: null, count: 1 }]);
    expect(await fire(r, 'perm-day', MIDDAY)).toEqual([]);
  });

  it('delivers a firing as JSON signed with the webhook sink’s scheme', async () => {
    const receiver = new TestReceiver();
    await receiver.start();
    try {
      const firing: AlertFiring = {
        id: randomUUID(),
        organizationId: 'export-burst',
        alert: { id: 'a1', name: 'bulk-export', search: 'action:PAGE_EXPORT' },
        window: { from: new Date(MIDDAY.getTime() - HOUR).toISOString(), to: MIDDAY.toISOString() },
        groups: [{ userId: 'u-mallory', count: 6 }],
        firedAt: MIDDAY.toISOString(),
      };
      await deliverFiring(receiver.url('/hook'), 'alert-secret', firing, MIDDAY);
      const [request] = receiver.on('/hook');
      expect(JSON.parse(request.rawBody.toString('utf8'))).toEqual(firing);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-audit-signature'])) ?? [];
      expect(Number(t)).toBe(Math.floor(MIDDAY.getTime() / 1000));
      const expected = createHmac('sha256', 'alert-secret').update(`${t}.${request.rawBody.toString('utf8')}`).digest();
      expect(timingSafeEqual(Buffer.from(v1, 'hex'), expected)).toBe(true);
      receiver.respond('/refused', () => 500);
      await expect(deliverFiring(receiver.url('/refused'), 'alert-secret', firing, MIDDAY)).rejects.toThrow('500');
    } finally {
      await receiver.stop();
    }
  });
});
