import { useId, type KeyboardEvent } from 'react';
import { niceTicks } from '../chart-math';
import { useWidth } from './use-width';

export interface Bar {
  key: string;
  label: string;
  value: number;
  /** Optional range drawn as a whisker over the bar (e.g. p50 to p99). */
  range?: [number, number];
  tooltip: string;
}

interface Props {
  title: string;
  description: string;
  bars: Bar[];
  format: (v: number) => string;
  /** Makes each bar a button (mouse and keyboard). */
  onPick?: (bar: Bar) => void;
  pickLabel?: (bar: Bar) => string;
}

const ROW = 30;
const LABEL_W = 168;
const VALUE_W = 72;
const MARGIN = { top: 4, right: 8, bottom: 22, left: 8 };

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Horizontal bars, largest first, with a value axis; labels are cut to fit and whole in the tooltip. */
export function BarChart({ title, description, bars, format, onPick, pickLabel }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>(400);
  const titleId = useId();
  const descId = useId();
  const height = MARGIN.top + bars.length * ROW + MARGIN.bottom;
  const plotX = MARGIN.left + LABEL_W;
  const plotW = Math.max(20, width - plotX - VALUE_W - MARGIN.right);
  const max = Math.max(0, ...bars.map((b) => Math.max(b.value, b.range?.[1] ?? 0)));
  const ticks = niceTicks(max, Math.max(2, Math.min(5, Math.floor(plotW / 70))));
  const top = ticks[ticks.length - 1] || 1;
  const x = (v: number) => (v / top) * plotW;
  const maxChars = Math.floor(LABEL_W / 7.2);

  const keyDown = (bar: Bar) => (e: KeyboardEvent) => {
    if (onPick && (e.key === 'Enter' || e.key === ' ')) {
      e.preventDefault();
      onPick(bar);
    }
  };

  return (
    <div ref={ref} className="chart-canvas">
      <svg width={width} height={height} role="img" aria-labelledby={titleId} aria-describedby={descId}>
        <title id={titleId}>{title}</title>
        <desc id={descId}>{description}</desc>
        <g transform={`translate(${plotX},${MARGIN.top})`}>
          {ticks.map((t) => (
            <g key={t} className="grid" transform={`translate(${x(t)},0)`}>
              <line y1={0} y2={bars.length * ROW} />
              <text y={bars.length * ROW + 15} textAnchor="middle">
                {format(t)}
              </text>
            </g>
          ))}
        </g>
        {bars.map((bar, i) => (
          <g
            key={bar.key}
            className={`bar-row${onPick ? ' pickable' : ''}`}
            transform={`translate(0,${MARGIN.top + i * ROW})`}
            role={onPick ? 'button' : undefined}
            tabIndex={onPick ? 0 : undefined}
            aria-label={onPick ? (pickLabel?.(bar) ?? bar.label) : undefined}
            onClick={onPick ? () => onPick(bar) : undefined}
            onKeyDown={onPick ? keyDown(bar) : undefined}
          >
            <title>{bar.tooltip}</title>
            <rect className="row-hit" x={0} y={0} width={width} height={ROW} />
            <text className="bar-label" x={MARGIN.left} y={ROW / 2} dy="0.32em">
              {truncate(bar.label, maxChars)}
            </text>
            <rect className="bar" x={plotX} y={7} width={Math.max(1, x(bar.value))} height={ROW - 14} rx={3} />
            {bar.range && (
              <g className="whisker">
                <line x1={plotX + x(bar.range[0])} x2={plotX + x(bar.range[1])} y1={ROW / 2} y2={ROW / 2} />
                <line x1={plotX + x(bar.range[0])} x2={plotX + x(bar.range[0])} y1={ROW / 2 - 5} y2={ROW / 2 + 5} />
                <line x1={plotX + x(bar.range[1])} x2={plotX + x(bar.range[1])} y1={ROW / 2 - 5} y2={ROW / 2 + 5} />
              </g>
            )}
            <text className="bar-value" x={plotX + plotW + 8} y={ROW / 2} dy="0.32em">
              {format(bar.value)}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
