import { useId } from 'react';
import { labelledBuckets, niceTicks, type StackedSeries } from '../chart-math';
import type { ChartInterval } from '../filters';
import { formatCount, zoned, zoneOffsetMs } from '../format';
import { useWidth } from './use-width';

interface Props {
  title: string;
  series: StackedSeries;
  interval: ChartInterval;
  colors: Record<string, string>;
  height: number;
  /** Hides the legend (the compact chart above the table shows it in one line instead). */
  legend?: boolean;
  /** Clicking (or Enter on) a bar: narrow the view to that bucket. */
  onPickBucket?: (bucketStart: number) => void;
}

const MARGIN = { top: 10, right: 12, bottom: 24, left: 48 };

// Day buckets are UTC days (as the analytics API cuts them): label them as such.
const utcDayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

function formats() {
  return { hour: zoned({ hour: '2-digit', minute: '2-digit' }), day: zoned({ month: 'short', day: 'numeric' }), full: zoned({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) };
}

function tickLabel(t: number, interval: ChartInterval, f: ReturnType<typeof formats>): string {
  if (interval === 'day') return utcDayFormat.format(t);
  const wall = t + zoneOffsetMs(t);
  return wall % 86_400_000 === 0 ? f.day.format(t) : f.hour.format(t);
}

function bucketLabel(t: number, interval: ChartInterval, f: ReturnType<typeof formats>): string {
  return interval === 'day' ? `${utcDayFormat.format(t)} (UTC day)` : f.full.format(t);
}

/** Events per time bucket, stacked by series; each column's tooltip lists its breakdown. */
export function StackedBarChart({ title, series, interval, colors, height, legend = true, onPickBucket }: Props) {
  const f = formats();
  const [ref, width] = useWidth<HTMLDivElement>();
  const titleId = useId();
  const descId = useId();
  const innerW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const n = Math.max(1, series.buckets.length);
  const max = Math.max(0, ...series.totals);
  const ticks = niceTicks(max, innerH < 100 ? 2 : 4);
  const top = ticks[ticks.length - 1] || 1;
  const y = (v: number) => innerH - (v / top) * innerH;
  const band = innerW / n;
  const barW = Math.max(1, band > 4 ? band * 0.78 : band);
  const labelled = labelledBuckets(series.buckets, interval, Math.floor(innerW / 90), zoneOffsetMs);
  const total = series.totals.reduce((s, v) => s + v, 0);
  const peak = series.totals.indexOf(max);
  const keyTotals = series.keys.map((k) => series.values.reduce((s, v) => s + (v[k] ?? 0), 0));

  const description =
    total === 0
      ? 'No events in this period.'
      : `${formatCount(total)} events in ${n} ${interval} buckets; the busiest bucket, ${bucketLabel(series.buckets[peak], interval, f)}, had ${formatCount(max)}. ` +
        series.keys.map((k, i) => `${k}: ${formatCount(keyTotals[i])}`).join(', ') +
        '.';

  return (
    <figure className="chart">
      <div ref={ref} className="chart-canvas">
        <svg width={width} height={height} role="img" aria-labelledby={titleId} aria-describedby={descId}>
          <title id={titleId}>{title}</title>
          <desc id={descId}>{description}</desc>
          <g transform={`translate(${MARGIN.left},${MARGIN.top})`}>
            {ticks.map((t) => (
              <g key={t} transform={`translate(0,${y(t)})`} className="grid">
                <line x1={0} x2={innerW} />
                <text x={-8} dy="0.32em" textAnchor="end">
                  {formatCount(t)}
                </text>
              </g>
            ))}
            {series.buckets.map((b, i) => {
              let acc = 0;
              const x = i * band + (band - barW) / 2;
              const breakdown = series.keys
                .filter((k) => (series.values[i][k] ?? 0) > 0)
                .map((k) => `${k}: ${formatCount(series.values[i][k])}`)
                .join('\n');
              return (
                <g
                  key={b}
                  className={onPickBucket ? 'column pickable' : 'column'}
                  data-bucket={new Date(b).toISOString()}
                  onClick={onPickBucket && (() => onPickBucket(b))}
                  role={onPickBucket ? 'button' : undefined}
                  tabIndex={onPickBucket && series.totals[i] > 0 ? 0 : undefined}
                  aria-label={onPickBucket ? `Show ${bucketLabel(b, interval, f)}: ${formatCount(series.totals[i])} events` : undefined}
                  onKeyDown={
                    onPickBucket &&
                    ((e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        onPickBucket(b);
                      }
                    })
                  }
                >
                  <title>{`${bucketLabel(b, interval, f)} — ${formatCount(series.totals[i])} events${breakdown ? `\n${breakdown}` : ''}${onPickBucket ? '\nClick to show this ' + interval : ''}`}</title>
                  <rect className="column-hit" x={i * band} y={0} width={band} height={innerH} />
                  {series.keys.map((k) => {
                    const v = series.values[i][k] ?? 0;
                    if (v === 0) return null;
                    const y0 = y(acc);
                    acc += v;
                    const y1 = y(acc);
                    return <rect key={k} x={x} y={y1} width={barW} height={Math.max(0.5, y0 - y1)} fill={colors[k]} />;
                  })}
                </g>
              );
            })}
            <line className="axis" x1={0} x2={innerW} y1={innerH} y2={innerH} />
            {labelled.map((i) => {
              const x = i * band + band / 2;
              // Labels at the ends stay inside the chart instead of being cut by its edge.
              const anchor = x < 30 ? 'start' : x > innerW - 30 ? 'end' : 'middle';
              return (
                <text key={series.buckets[i]} className="x-label" x={anchor === 'start' ? i * band : anchor === 'end' ? (i + 1) * band : x} y={innerH + 16} textAnchor={anchor}>
                  {tickLabel(series.buckets[i], interval, f)}
                </text>
              );
            })}
          </g>
        </svg>
      </div>
      {legend && series.keys.length > 0 && (
        <figcaption>
          <ul className="legend" aria-label="Legend">
            {series.keys.map((k, i) => (
              <li key={k}>
                <span className="swatch" style={{ background: colors[k] }} aria-hidden="true" />
                <span className="legend-key">{k}</span>
                <span className="legend-value">{formatCount(keyTotals[i])}</span>
              </li>
            ))}
          </ul>
        </figcaption>
      )}
    </figure>
  );
}
