import { bucketStarts, labelledBuckets, niceTicks, stackSeries } from './chart-math';

describe('chart math', () => {
  it('makes round ticks that reach the maximum', () => {
    expect(niceTicks(17)).toEqual([0, 5, 10, 15, 20]);
    expect(niceTicks(4, 2)).toEqual([0, 2, 4]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
  });

  it('lists every UTC bucket of the window, empty ones included', () => {
    const window = { from: new Date('2026-11-29T10:30:00Z'), to: new Date('2026-11-29T13:00:00Z') };
    expect(bucketStarts(window, 'hour').map((t) => new Date(t).toISOString())).toEqual([
      '2026-11-29T10:00:00.000Z',
      '2026-11-29T11:00:00.000Z',
      '2026-11-29T12:00:00.000Z',
    ]);
  });

  it('stacks rows by series, largest first, folding the smallest into Other', () => {
    const buckets = [Date.parse('2026-11-29T10:00:00.000Z'), Date.parse('2026-11-29T11:00:00.000Z')];
    const rows = [
      { bucket: '2026-11-29T10:00:00.000Z', actionType: 'LOGIN', count: 5 },
      { bucket: '2026-11-29T10:00:00.000Z', actionType: 'QUERY_RUN', count: 9 },
      { bucket: '2026-11-29T11:00:00.000Z', actionType: 'LOGOUT', count: 2 },
      { bucket: '2026-11-29T11:00:00.000Z', actionType: 'PAGE_VIEW', count: 1 },
    ];
    const series = stackSeries(rows, buckets, 3);
    expect(series.keys).toEqual(['QUERY_RUN', 'LOGIN', 'Other']);
    expect(series.values).toEqual([{ QUERY_RUN: 9, LOGIN: 5 }, { Other: 3 }]);
    expect(series.totals).toEqual([14, 3]);
    expect(stackSeries(rows, buckets, 4).keys).toEqual(['QUERY_RUN', 'LOGIN', 'LOGOUT', 'PAGE_VIEW']);
  });
});

describe('time axis labels', () => {
  const utc = () => 0;
  it('labels round times, not every n-th bucket from the start of the window', () => {
    const start = Date.parse('2026-11-29T04:24:00.000Z');
    const minutes = Array.from({ length: 60 }, (_, i) => start + i * 60_000);
    const labels = labelledBuckets(minutes, 'minute', 12, utc).map((i) => new Date(minutes[i]).toISOString().slice(11, 16));
    expect(labels).toEqual(['04:25', '04:30', '04:35', '04:40', '04:45', '04:50', '04:55', '05:00', '05:05', '05:10', '05:15', '05:20']);
  });

  it('aligns hour labels to the local zone', () => {
    const start = Date.parse('2026-11-29T00:00:00.000Z');
    const hours = Array.from({ length: 24 }, (_, i) => start + i * 3_600_000);
    // In UTC+2, local midnight, 06:00, 12:00 and 18:00 are 22:00, 04:00, 10:00 and 16:00 UTC.
    expect(labelledBuckets(hours, 'hour', 4, () => 2 * 3_600_000).map((i) => new Date(hours[i]).getUTCHours())).toEqual([4, 10, 16, 22]);
  });
});
