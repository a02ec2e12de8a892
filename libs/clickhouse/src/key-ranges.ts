/** An inclusive range of instants (epoch milliseconds). */
export interface InstantRange {
  from: number;
  to: number;
}

/**
 * At most `maxRanges` inclusive ranges that together cover every point, split at the widest gaps between
 * them: a batch whose events fall in a few separate periods (a live minute and a backfill over ten years)
 * is read as those periods, not as the decade between them. The primary key prunes each range to its
 * granules, so the duplicate check of such a batch reads what it names instead of the whole organization.
 */
export function coveringRanges(points: readonly number[], maxRanges = 16): InstantRange[] {
  if (points.length === 0) return [];
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  const limit = Math.max(1, Math.floor(maxRanges));
  // The (limit - 1) widest gaps become the splits; ties go to the earlier gap, so the result is deterministic.
  const splits = sorted
    .slice(1)
    .map((point, i) => ({ after: i, gap: point - sorted[i] }))
    .sort((a, b) => b.gap - a.gap || a.after - b.after)
    .slice(0, limit - 1)
    .map((split) => split.after)
    .sort((a, b) => a - b);
  const ranges: InstantRange[] = [];
  let start = 0;
  for (const after of splits) {
    ranges.push({ from: sorted[start], to: sorted[after] });
    start = after + 1;
  }
  ranges.push({ from: sorted[start], to: sorted[sorted.length - 1] });
  return ranges;
}

/**
 * `(column BETWEEN {p0_from} AND {p0_to} OR …)` and its parameters: fixed text whatever the values, each
 * bound a server-side parameter of `type`, formatted by `format`.
 */
export function rangesCondition(
  column: string,
  ranges: readonly InstantRange[],
  type: string,
  format: (ms: number) => string,
  prefix = 'r',
): { sql: string; params: Record<string, string> } {
  if (ranges.length === 0) return { sql: '0', params: {} };
  const params: Record<string, string> = {};
  const terms = ranges.map((range, i) => {
    params[`${prefix}${i}_from`] = format(range.from);
    params[`${prefix}${i}_to`] = format(range.to);
    return `${column} BETWEEN {${prefix}${i}_from:${type}} AND {${prefix}${i}_to:${type}}`;
  });
  return { sql: `(${terms.join(' OR ')})`, params };
}

/**
 * The rows in groups of at most `maxMonths` calendar months of createdAt (`YYYY-MM-DD hh:mm:ss.mmm`, UTC),
 * oldest months first, rows of one month in their order. Each month is one partition of every table the
 * projector writes, so a group is one INSERT that touches at most that many partitions per table.
 */
export function monthGroups<T extends { createdAt: string }>(rows: readonly T[], maxMonths: number): T[][] {
  const byMonth = new Map<string, T[]>();
  for (const row of rows) {
    const month = row.createdAt.slice(0, 7);
    const list = byMonth.get(month);
    if (list) list.push(row);
    else byMonth.set(month, [row]);
  }
  if (byMonth.size <= maxMonths) return byMonth.size === 0 ? [] : [[...rows]];
  const months = [...byMonth.keys()].sort();
  const groups: T[][] = [];
  for (let i = 0; i < months.length; i += maxMonths) groups.push(months.slice(i, i + maxMonths).flatMap((month) => byMonth.get(month) ?? []));
  return groups;
}
