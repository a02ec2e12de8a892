import type { ClickHouseClient } from '@clickhouse/client';
import { encodeEventRow, type ClickHouseEventsRepository } from '@audit/clickhouse';
import { eventFilterNode } from '@audit/event-filter';
import { lookupKey, userLookups, type ResolvedUsers, type SearchNode } from '@audit/search';
import type { TestClickHouse } from '@audit/testing';
import { embeddedEventsRepository, sampleEvent } from '@audit/testing-pipeline';
import { readQueryConfig } from './config';
import { readPageRequest } from './page-request';
import { projectedKeysQuery, readProjectedKeys, type ProjectedKeyRow } from './projected-keys';

jest.setTimeout(120_000);

const ORG = 'org-wide';
const EVENTS = 16_000;
const bounds = readQueryConfig({});
/** Every user look-up of the search as finding nobody: `user:` then compares userId with the typed value alone. */
const nobody = (node: SearchNode): ResolvedUsers => new Map(userLookups(node).map((l) => [lookupKey(l), []]));
/** The n-th event: four users, a minute apart from 2026-10-01, with a metadata text wide enough (3 kB) for ClickHouse to cut the table's granules by bytes. */
const event = (n: number) =>
  sampleEvent(n, { organizationId: ORG, userId: `u${n % 4}`, metadata: { n, note: 'x'.repeat(3_000) }, createdAt: new Date(Date.UTC(2026, 9, 1) + n * 60_000).toISOString() });

describe('projectedKeysQuery: which layout of audit_events a page reads (embedded chDB)', () => {
  let ch: TestClickHouse;
  let client: ClickHouseClient;
  let repo: ClickHouseEventsRepository;

  const statement = (search: string) => {
    const node = eventFilterNode(readPageRequest({ search }).filter);
    return { node, ...projectedKeysQuery(ORG, node, nobody(node), 51, undefined, bounds) };
  };
  /** The tables the plan reads: `audit_events`, or a projection's name. */
  const readFrom = async (search: string): Promise<string[]> => {
    const { query, params } = statement(search);
    const plan = await ch.query<{ explain: string }>(`EXPLAIN projections = 1 ${query}`, params);
    return plan.flatMap((line) => /ReadFromMergeTree \(([\w.]+)\)/.exec(line.explain)?.[1] ?? []).map((name) => name.replace(/^.*\./, ''));
  };
  const marks = async (table: 'audit_events' | 'user_keys'): Promise<number> => {
    const from = table === 'audit_events' ? 'system.parts' : "system.projection_parts WHERE name = 'user_keys' AND";
    const where = table === 'audit_events' ? 'WHERE' : '';
    const [{ n }] = await ch.query<{ n: number }>(`SELECT toUInt32(sum(marks)) AS n FROM ${from} ${where} database = currentDatabase() AND table = 'audit_events' AND active`);
    return n;
  };

  beforeAll(async () => {
    ({ ch, client, repo } = await embeddedEventsRepository());
    await repo.insertEncodedExcept(Array.from({ length: EVENTS }, (_, n) => encodeEventRow(event(n))), new Set());
    await client.command({ query: 'OPTIMIZE TABLE audit_events FINAL' });
  });

  afterAll(async () => {
    await ch?.drop();
  });

  it('reads a time window from the table in createdAt order even where a projection covers the organization in fewer marks', async () => {
    // The layout that made the optimizer take user_keys for a window at 10M events: wide rows, granules cut short by bytes.
    expect(await marks('audit_events')).toBeGreaterThan(await marks('user_keys'));
    for (const search of ['created:>2026-01-01', 'created:2026-10-03..2026-10-09', 'action:QUERY_RUN']) {
      expect({ search, from: await readFrom(search) }).toEqual({ search, from: ['audit_events'] });
    }
    // A user's page is still the projection's.
    expect(await readFrom('user:u1')).toContain('user_keys');
  });

  it('gives the newest events of the window, the next page after the last', async () => {
    const run = async (query: string, params: Record<string, unknown>): Promise<ProjectedKeyRow[]> =>
      (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<ProjectedKeyRow>();
    const { node } = statement('created:2026-10-03..2026-10-09');
    const first = await readProjectedKeys(run, ORG, node, new Map(), 50, undefined, bounds);
    const second = await readProjectedKeys(run, ORG, node, new Map(), 50, first[49], bounds);
    // The window ends with 2026-10-09 (a day range takes its last day whole): minute 9 × 1440 after 2026-10-01 is the first past it.
    const expected = Array.from({ length: 100 }, (_, i) => event(9 * 1440 - 1 - i));
    expect([...first, ...second].map((k) => k.id)).toEqual(expected.map((e) => e.id));
    expect(first[0].createdAt).toBe(`${expected[0].createdAt.replace('T', ' ').replace('Z', '')}000+00`);
  });
});
