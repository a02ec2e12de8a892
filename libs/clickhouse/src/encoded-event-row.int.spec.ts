import type { ClickHouseClient } from '@clickhouse/client';
import type { AuditEvent } from '@audit/contracts';
import type { TestClickHouse } from '@audit/testing';
import { embeddedEventsRepository, sampleEvent as event } from '@audit/testing-pipeline';
import { encodeEventRow, ENCODED_EVENT_COLUMNS, UnencodableEventError } from './encoded-event-row';
import { ClickHouseEventsRepository, eventKey, toClickHouseRow } from './events.repository';

/** Events whose text exercises every escape of the TabSeparated encoding, and every kind of value. */
const awkward = (): AuditEvent[] => [
  event(1, {
    organizationId: 'org-\tb',
    userId: 'tab\there',
    user: { email: "o'brien+audit@example.com", userName: 'Ćwierć "Quoted" O\'Brien 🚀\\N' },
    ipAddress: '2001:db8::1',
    pageName: 'line\nbreak\r\nand NUL \u0000 end',
    queryName: '\\N',
    resourceName: 'back\\slash\\',
    metadata: {
      query: "select * from users where name = 'O''Brien' -- \t\n",
      parameters: ['żółć', '日本語', '🚀', 'back\\slash', 'tab\tnew\nline', '\\N'],
      nested: { n: 1.5, big: 12_345_678_901_234, yes: true, nil: null, list: [1, [2, { three: 3 }]] },
      'key with "quotes"': '\u0001\u001f control',
    },
    createdAt: '2026-11-29T03:04:05.123Z',
  }),
  // Everything optional absent, a null user, a zero response time, and times not in the canonical form.
  event(2, { userId: null, user: null, ipAddress: null, responseTimeMs: 0, queryName: null, metadata: {}, createdAt: '2026-11-29T05:04:05.5+02:00', receivedAt: '2026-11-29T03:04:06Z' }),
  // Fields missing altogether, and values of other JSON types where a string belongs (stored as their JSON text).
  { ...event(3, { responseTimeMs: null }), userId: 42 as unknown as string, pageName: undefined as unknown as null, user: { email: 'e@example.com' } as AuditEvent['user'] },
];

describe('encodeEventRow', () => {
  it('writes one TabSeparated line in column order, escaping only what TabSeparated needs', () => {
    const row = encodeEventRow(event(7, { id: '00000000-0000-4000-8000-00000000ABCD', user: null, ipAddress: null, responseTimeMs: null, metadata: { q: 'a\tb "c" \\d' } }));
    expect({ ...row, line: row.line.toString('utf8') }).toEqual({
      id: '00000000-0000-4000-8000-00000000abcd',
      organizationId: 'org-a',
      createdAt: '2026-11-20 10:07:00.007',
      receivedAt: '2026-11-20 11:00:00.007',
      userId: 'u1',
      line:
        [
          '00000000-0000-4000-8000-00000000abcd',
          'org-a',
          'QUERY_RUN',
          'u1',
          '\\N',
          '\\N',
          '\\N',
          '\\N',
          '\\N',
          'q',
          '\\N',
          // JSON.stringify turns the tab into \t and the backslash into \\; TabSeparated doubles each backslash.
          '{"q":"a\\\\tb \\\\"c\\\\" \\\\\\\\d"}',
          '2026-11-20 10:07:00.007',
          '2026-11-20 11:00:00.007',
        ].join('\t') + '\n',
    });
    expect(row.line.toString('utf8').split('\t')).toHaveLength(ENCODED_EVENT_COLUMNS.length);
    // UTF-8 bytes, as sent.
    expect(encodeEventRow(event(1, { pageName: 'żółć 🚀' })).line.toString('utf8')).toContain('\tżółć 🚀\t');
  });

  it('normalises any parseable time to UTC milliseconds, so the stored instant and the duplicate check agree', () => {
    expect(encodeEventRow(event(1, { createdAt: '2026-11-29T05:04:05.5+02:00' })).createdAt).toBe('2026-11-29 03:04:05.500');
    expect(encodeEventRow(event(1, { createdAt: '2026-11-29T03:04:05Z' })).createdAt).toBe('2026-11-29 03:04:05.000');
  });

  it('refuses a value no column can hold, naming the field', () => {
    for (const responseTimeMs of ['slow', -1, 1.5, 2 ** 32]) {
      expect(() => encodeEventRow({ ...event(1), responseTimeMs } as unknown as AuditEvent)).toThrow(new UnencodableEventError('responseTimeMs'));
    }
    expect(() => encodeEventRow(event(1, { receivedAt: 'not a time' }))).toThrow('not a canonical event: bad receivedAt');
  });
});

/** The projector inserts encoded rows; the rebuild inserts JSON rows: both must store exactly the same. */
describe('ClickHouseEventsRepository with encoded rows, on embedded chDB', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;
  let repo: ClickHouseEventsRepository;

  beforeAll(async () => {
    ({ ch, client, repo } = await embeddedEventsRepository());
  });

  afterAll(async () => {
    await ch?.drop();
  });

  const stored = () =>
    ch.query(
      `SELECT toString(id) AS id, organizationId, actionType, userId, userEmail, userName, ipAddress, responseTimeMs, pageName, queryName,
              resourceName, metadata, toString(createdAt) AS createdAt, toString(receivedAt) AS receivedAt
       FROM audit_events ORDER BY id`,
    );
  const rollup = () => ch.query('SELECT organizationId, actionType, hour, sum(events) AS n, sum(responseTimeMsSum) AS rt, sum(responseTimeCount) AS rc FROM audit_events_hourly GROUP BY ALL ORDER BY ALL');
  const clear = async (): Promise<void> => {
    await client.command({ query: 'TRUNCATE TABLE audit_events' });
    await client.command({ query: 'TRUNCATE TABLE audit_events_hourly' });
  };

  it('stores every field exactly as the JSON rows do, and feeds the rollup the same', async () => {
    const events = awkward();
    expect(await repo.insertExcept(events.map(toClickHouseRow), new Set())).toBe(3);
    const asJson = { events: await stored(), rollup: await rollup() };
    await clear();
    expect(await repo.insertEncodedExcept(events.map(encodeEventRow), new Set())).toBe(3);
    expect({ events: await stored(), rollup: await rollup() }).toEqual(asJson);

    // And what is stored is what the emitter sent.
    const [first, second, third] = asJson.events as Array<Record<string, unknown>>;
    expect(first).toMatchObject({ organizationId: 'org-\tb', userId: 'tab\there', pageName: 'line\nbreak\r\nand NUL \u0000 end', queryName: '\\N', resourceName: 'back\\slash\\', createdAt: '2026-11-29 03:04:05.123' });
    expect(JSON.parse(String(first['metadata']))).toEqual(events[0].metadata);
    expect(second).toMatchObject({ userId: null, userEmail: null, userName: null, responseTimeMs: 0, metadata: '{}', createdAt: '2026-11-29 03:04:05.500', receivedAt: '2026-11-29 03:04:06.000' });
    expect(third).toMatchObject({ userId: '42', userEmail: 'e@example.com', userName: null, pageName: null, responseTimeMs: null });
    await clear();
  });

  it('registers keys as TabSeparated rows, an organization that needs escaping included', async () => {
    const keys = awkward().map(encodeEventRow);
    await repo.register(keys);
    const registered = await ch.query<{ organizationId: string; id: string }>('SELECT organizationId, toString(id) AS id FROM audit_event_ids ORDER BY id');
    expect(registered).toEqual(keys.map((k) => ({ organizationId: k.organizationId, id: k.id })).sort((a, b) => (a.id < b.id ? -1 : 1)));
    await client.command({ query: 'TRUNCATE TABLE audit_event_ids' });
  });

  it('skips the known keys and the repeats within the batch', async () => {
    const rows = [1, 2, 2, 3, 1, 4].map((n) => encodeEventRow(event(n)));
    expect(await repo.insertEncodedExcept(rows, new Set([eventKey(event(3))]))).toBe(3);
    expect((await repo.check(rows)).stored).toEqual(new Set([1, 2, 4].map((n) => eventKey(event(n)))));
    expect(await repo.insertEncodedExcept(rows, (await repo.check(rows)).stored)).toBe(1);
    expect((await stored()).map((r) => r['id'])).toEqual([1, 2, 3, 4].map((n) => event(n).id));
    expect(await repo.insertEncodedExcept([], new Set())).toBe(0);
  });
});
