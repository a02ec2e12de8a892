import type { ChartInterval, TimeWindow } from './filters';

/** Round axis ticks from 0 to at least `max`: 1, 2 or 5 times a power of ten per step. */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= max) break;
  }
  return ticks;
}

const STEP_MS: Record<ChartInterval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

// Label spacings that read well on a time axis, per bucket size.
const LABEL_STEPS: Record<ChartInterval, number[]> = {
  minute: [1, 2, 5, 10, 15, 30, 60, 120].map((m) => m * 60_000),
  hour: [1, 2, 3, 6, 12, 24, 48].map((h) => h * 3_600_000),
  day: [1, 2, 7, 14, 28, 56].map((d) => d * 86_400_000),
};

/**
 * The indexes of the buckets to label: at most `maxLabels`, on round local times (every 15 minutes,
 * every 6 hours…) rather than every n-th bucket from wherever the window starts. Day buckets are UTC days.
 */
/** `offsetMs(t)`: the local zone's offset from UTC at `t` (positive east of Greenwich). */
export function labelledBuckets(buckets: number[], interval: ChartInterval, maxLabels: number, offsetMs: (t: number) => number): number[] {
  if (buckets.length === 0) return [];
  const span = buckets.length * STEP_MS[interval];
  const steps = LABEL_STEPS[interval];
  const step = steps.find((s) => span / s <= Math.max(1, maxLabels)) ?? steps[steps.length - 1];
  const local = (t: number) => (interval === 'day' ? t : t + offsetMs(t));
  return buckets.flatMap((t, i) => (local(t) % step === 0 ? [i] : []));
}

/** Every bucket start (UTC, like the analytics API's) of a window, so quiet periods show as gaps, not as nothing. */
export function bucketStarts(window: TimeWindow, interval: ChartInterval, maxBuckets = 2000): number[] {
  const step = STEP_MS[interval];
  const first = Math.floor(window.from.getTime() / step) * step;
  const starts: number[] = [];
  for (let t = first; t < window.to.getTime() && starts.length < maxBuckets; t += step) starts.push(t);
  return starts;
}

export interface StackedSeries {
  buckets: number[];
  /** Series keys, largest total first. */
  keys: string[];
  /** values[bucketIndex][key] */
  values: Array<Record<string, number>>;
  totals: number[];
}

/**
 * Pivots `{bucket, actionType, count}` rows into stacked bars. Only the `maxKeys - 1` largest series keep
 * their own colour; the rest are summed into `other` so the legend stays readable with 34 action types.
 */
export function stackSeries(
  rows: ReadonlyArray<{ bucket: string; actionType: string; count: number }>,
  buckets: number[],
  maxKeys: number,
  other = 'Other',
): StackedSeries {
  const totalsByKey = new Map<string, number>();
  for (const row of rows) totalsByKey.set(row.actionType, (totalsByKey.get(row.actionType) ?? 0) + row.count);
  const ranked = [...totalsByKey.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([key]) => key);
  const kept = ranked.length > maxKeys ? ranked.slice(0, maxKeys - 1) : ranked;
  const keptSet = new Set(kept);
  const keys = ranked.length > kept.length ? [...kept, other] : kept;
  const index = new Map(buckets.map((b, i) => [b, i]));
  const values = buckets.map(() => ({}) as Record<string, number>);
  for (const row of rows) {
    const i = index.get(Date.parse(row.bucket));
    if (i === undefined) continue;
    const key = keptSet.has(row.actionType) ? row.actionType : other;
    values[i][key] = (values[i][key] ?? 0) + row.count;
  }
  const totals = values.map((v) => Object.values(v).reduce((sum, n) => sum + n, 0));
  return { buckets, keys, values, totals };
}
