import fc from 'fast-check';
import { coveringRanges, monthGroups, rangesCondition } from './key-ranges';

describe('coveringRanges: the createdAt ranges a duplicate check reads', () => {
  const instants = fc.array(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), { minLength: 1, maxLength: 200 });

  it('covers every point with at most the given number of sorted, disjoint ranges whose ends are points', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 1, max: 20 }), (points, max) => {
        const ranges = coveringRanges(points, max);
        expect(ranges.length).toBeLessThanOrEqual(max);
        expect(ranges.length).toBe(Math.min(max, new Set(points).size));
        for (const point of points) expect(ranges.some((r) => r.from <= point && point <= r.to)).toBe(true);
        for (let i = 0; i < ranges.length; i++) {
          expect(ranges[i].from).toBeLessThanOrEqual(ranges[i].to);
          if (i > 0) expect(ranges[i].from).toBeGreaterThan(ranges[i - 1].to);
          expect(points).toContain(ranges[i].from);
          expect(points).toContain(ranges[i].to);
        }
      }),
    );
  });

  it('leaves out the widest gaps: no uncovered gap is narrower than a gap inside a range', () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: 1, max: 20 }), (points, max) => {
        const ranges = coveringRanges(points, max);
        const sorted = [...new Set(points)].sort((a, b) => a - b);
        const inside: number[] = [];
        for (let i = 1; i < sorted.length; i++) {
          if (ranges.some((r) => r.from <= sorted[i - 1] && sorted[i] <= r.to)) inside.push(sorted[i] - sorted[i - 1]);
        }
        const outside = ranges.slice(1).map((r, i) => r.from - ranges[i].to);
        if (inside.length > 0 && outside.length > 0) expect(Math.min(...outside)).toBeGreaterThanOrEqual(Math.max(...inside));
      }),
    );
  });

  it('a batch of a live minute and a ten-year backfill is read as its months, not as the decade', () => {
    const months = Array.from({ length: 120 }, (_, i) => Date.UTC(2016, i, 15));
    const ranges = coveringRanges([...months, Date.UTC(2026, 11, 6, 4, 0), Date.UTC(2026, 11, 6, 4, 1)], 16);
    const covered = ranges.reduce((sum, r) => sum + (r.to - r.from), 0);
    expect(ranges).toHaveLength(16);
    // Ten years between the first and the last point; the ranges hold well under nine of them.
    expect(covered).toBeLessThan(0.9 * (Date.UTC(2026, 11, 6, 4, 1) - Date.UTC(2016, 0, 15)));
  });

  it('renders fixed text with every bound a parameter', () => {
    expect(rangesCondition('createdAt', [{ from: 0, to: 1 }, { from: 5, to: 9 }], "DateTime64(3, 'UTC')", String)).toEqual({
      sql: "(createdAt BETWEEN {r0_from:DateTime64(3, 'UTC')} AND {r0_to:DateTime64(3, 'UTC')} OR createdAt BETWEEN {r1_from:DateTime64(3, 'UTC')} AND {r1_to:DateTime64(3, 'UTC')})",
      params: { r0_from: '0', r0_to: '1', r1_from: '5', r1_to: '9' },
    });
    expect(rangesCondition('createdAt', [], 'Date', String)).toEqual({ sql: '0', params: {} });
  });
});

describe('monthGroups: a batch split into INSERTs of a bounded number of partitions', () => {
  const row = fc.record({ createdAt: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) }).map((ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23)), n: fc.nat() });

  it('keeps every row once, each group within the month limit, months ascending, and one group when the batch fits', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 300 }), fc.integer({ min: 1, max: 30 }), (rows, max) => {
        const groups = monthGroups(rows, max);
        expect(groups.flat()).toHaveLength(rows.length);
        expect(new Set(groups.flat())).toEqual(new Set(rows));
        const months = groups.map((g) => [...new Set(g.map((r) => r.createdAt.slice(0, 7)))]);
        for (const m of months) expect(m.length).toBeLessThanOrEqual(max);
        if (new Set(rows.map((r) => r.createdAt.slice(0, 7))).size <= max) expect(groups).toEqual(rows.length === 0 ? [] : [rows]);
        else for (let i = 1; i < months.length; i++) expect(months[i][0] > months[i - 1][months[i - 1].length - 1]).toBe(true);
        // Within a month, the batch's order.
        for (const g of groups) for (const m of new Set(g.map((r) => r.createdAt.slice(0, 7)))) expect(g.filter((r) => r.createdAt.startsWith(m))).toEqual(rows.filter((r) => r.createdAt.startsWith(m)));
      }),
    );
  });
});
