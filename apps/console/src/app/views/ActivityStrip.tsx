import type { ApiClient } from '../api';
import { StackedBarChart } from '../charts/StackedBarChart';
import { useTimeseries } from '../charts/use-timeseries';
import { bucketFilters, type ConsoleFilters, type TimeWindow } from '../filters';
import { formatCount } from '../format';
import { Spinner } from '../components/states';

interface Props {
  api: ApiClient;
  filters: ConsoleFilters;
  window: TimeWindow;
  viewKey: string;
  onChangeFilters: (next: ConsoleFilters) => void;
}

/** The compact "events over time" histogram above the table, over the table's own filters; a bar narrows the view to its bucket. */
export function ActivityStrip({ api, filters, window, viewKey, onChangeFilters }: Props) {
  const { request, series, colors, interval } = useTimeseries(api, filters, window, viewKey, 6);
  const total = series?.totals.reduce((s, v) => s + v, 0) ?? 0;
  return (
    <section className="card activity" aria-labelledby="activity-title">
      <div className="card-head">
        <h2 id="activity-title">
          Activity <span className="muted normal">by action type, per {interval}</span>
        </h2>
        {request.status === 'loading' && <Spinner label="Loading activity" />}
        {series && (
          <ul className="legend inline" aria-label="Legend">
            {series.keys.map((k) => (
              <li key={k}>
                <span className="swatch" style={{ background: colors[k] }} aria-hidden="true" />
                {k}
              </li>
            ))}
            <li className="legend-total">{formatCount(total)} events</li>
          </ul>
        )}
      </div>
      {request.status === 'error' && !series ? (
        <p className="inline-error" role="alert">
          The activity chart is unavailable: {request.error.describe()}
        </p>
      ) : series ? (
        <StackedBarChart
          title={`Events per ${interval} by action type`}
          series={series}
          interval={interval}
          colors={colors}
          height={120}
          legend={false}
          onPickBucket={(start) => onChangeFilters(bucketFilters(filters, window, start, interval))}
        />
      ) : (
        <div className="chart-placeholder" style={{ height: 120 }} />
      )}
    </section>
  );
}
