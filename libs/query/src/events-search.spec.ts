import fc from 'fast-check';
import { compareKeys, mergeKeys } from './events-search';
import type { Cursor } from '@audit/event-filter';

const key = (createdAt: string, id: string): Cursor => ({ createdAt, id });

describe('merging the positions of ClickHouse and of Postgres', () => {
  it('orders newest first by instant, whatever the spelling of its fraction, then by id', () => {
    const a = key('2026-01-01 00:00:00.123000+00', '00000000-0000-4000-8000-000000000001');
    const b = key('2026-01-01 00:00:00.123+00', '00000000-0000-4000-8000-000000000002');
    const c = key('2026-01-01 00:00:00+00', 'ffffffff-0000-4000-8000-000000000000');
    expect([a, c, b].sort(compareKeys)).toEqual([b, a, c]);
    expect(compareKeys(a, { ...a })).toBe(0);
  });

  it('keeps each id once and the first `count` positions, newest first, for any two lists', () => {
    const position = fc.record({
      createdAt: fc.integer({ min: 0, max: 5 }).map((s) => `2026-01-01 00:00:0${s}.000000+00`),
      id: fc.integer({ min: 0, max: 20 }).map((n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`),
    });
    fc.assert(
      fc.property(fc.array(position), fc.array(position), fc.integer({ min: 1, max: 30 }), (left, right, count) => {
        // One id has one createdAt in both stores.
        const byId = new Map([...left, ...right].map((k) => [k.id, k]));
        const [l, r] = [left.map((k) => byId.get(k.id) as Cursor), right.map((k) => byId.get(k.id) as Cursor)];
        const merged = mergeKeys(l, r, count);
        expect(merged).toEqual([...byId.values()].sort(compareKeys).slice(0, count));
        expect(new Set(merged.map((k) => k.id)).size).toBe(merged.length);
      }),
    );
  });
});
