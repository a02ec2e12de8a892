import type { TestClickHouse } from '@audit/testing';
import { ClickHouseEventsRepository, toClickHouseRow, toClickHouseTime, type ClickHouseEventRow } from './events.repository';
import { embeddedRepository, event } from './sample-event.fixture';

describe('toClickHouseRow', () => {
  it('maps every field of a canonical event to its column, times as UTC DateTime64 text', () => {
    expect(
      toClickHouseRow(
        event(7, { user: null, ipAddress: null, responseTimeMs: null, metadata: { q: "it's \"quoted\" ☃" }, createdAt: '2026-11-29T03:04:05.123Z' }),
      ),
    ).toEqual({
      id: '00000000-0000-4000-8000-000000000007',
      organizationId: 'org-a',
      actionType: 'QUERY_RUN',
      userId: 'u1',
      userEmail: null,
      userName: null,
      ipAddress: null,
      responseTimeMs: null,
      pageName: null,
      queryName: 'q',
      resourceName: null,
      metadata: '{"q":"it\'s \\"quoted\\" ☃"}',
      createdAt: '2026-11-29 03:04:05.123',
      receivedAt: '2026-11-20 11:00:00.007',
    });
    expect(toClickHouseTime(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02 03:04:05.006');
  });
});

/** insertNew is what stands between at-least-once delivery and a double count, in the events and in the rollup. */
describe('ClickHouseEventsRepository.insertNew on embedded chDB', () => {
  let ch: TestClickHouse;
  let repo: ClickHouseEventsRepository;

  beforeAll(async () => {
    ({ ch, repo } = await embeddedRepository());
  });

  afterAll(async () => {
    await ch?.drop();
  });

  const rows = (...ns: number[]): ClickHouseEventRow[] => ns.map((n) => toClickHouseRow(event(n)));
  const state = async () => ({
    events: await ch.query<{ id: string; n: number }>('SELECT toString(id) AS id, count() AS n FROM audit_events GROUP BY id ORDER BY id'),
    rollup: await ch.query('SELECT hour, actionType, sum(events) AS events, sum(responseTimeMsSum) AS rt, sum(responseTimeCount) AS rc FROM audit_events_hourly GROUP BY hour, actionType ORDER BY hour'),
  });

  it('inserts new rows, skips rows already stored and repeats within a batch, and the rollup counts each once', async () => {
    expect(await repo.insertNew([])).toBe(0);
    expect(await repo.insertNew(rows(1, 2, 3))).toBe(3);
    // The same batch again, then a mix of old, new and a repeat inside the batch.
    expect(await repo.insertNew(rows(1, 2, 3))).toBe(0);
    expect(await repo.insertNew(rows(3, 4, 4, 1, 5))).toBe(2);
    expect(await repo.insertNew(rows(5))).toBe(0);

    const { events, rollup } = await state();
    expect(events).toEqual([1, 2, 3, 4, 5].map((n) => ({ id: event(n).id, n: 1 })));
    expect(rollup).toEqual([{ hour: '2026-11-20 10:00:00', actionType: 'QUERY_RUN', events: 5, rt: 10 + 20 + 30 + 40 + 50, rc: 5 }]);
  });

  it('the duplicate check spans organizations and the whole time range of the batch', async () => {
    const far = toClickHouseRow(event(6, { organizationId: 'org-b', createdAt: '2026-03-01T00:00:00.000Z', responseTimeMs: null }));
    expect(await repo.insertNew([far, ...rows(1, 2)])).toBe(1);
    expect(await repo.insertNew([...rows(5), far])).toBe(0);
    const { events, rollup } = await state();
    expect(events.map((e) => e.n)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(rollup).toEqual([
      { hour: '2026-03-01 00:00:00', actionType: 'QUERY_RUN', events: 1, rt: 0, rc: 0 },
      { hour: '2026-11-20 10:00:00', actionType: 'QUERY_RUN', events: 5, rt: 150, rc: 5 },
    ]);
  });
});
