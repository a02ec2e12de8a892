import type { ApiClient } from '../api';
import { BarChart, type Bar } from '../charts/BarChart';
import { StackedBarChart } from '../charts/StackedBarChart';
import { useTimeseries } from '../charts/use-timeseries';
import { hasNarrowingFilters, type ConsoleFilters, type TimeWindow } from '../filters';
import { formatCount, formatDuration } from '../format';
import { EmptyState, ErrorState, Spinner } from '../components/states';
import type { ResponseTimeItem, Summary, TopUserItem } from '../types';
import { useRequest } from '../use-request';

interface Props {
  api: ApiClient;
  filters: ConsoleFilters;
  window: TimeWindow;
  viewKey: string;
  onPickUser: (userId: string) => void;
  onPickQuery: (queryName: string) => void;
}

function windowQuery(window: TimeWindow, extra: Record<string, string> = {}, actionTypes: readonly string[] = []): URLSearchParams {
  const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString(), ...extra });
  for (const t of actionTypes) query.append('actionType', t);
  return query;
}

/** Charts over the view's window from the analytics API: volume by action type, top users, slowest queries. */
export function InsightsView({ api, filters, window, viewKey, onPickUser, onPickQuery }: Props) {
  const summary = useRequest(viewKey, (signal) => api.get<Summary>('/v1/analytics/summary', windowQuery(window), signal));
  const { request: timeseries, series, colors, interval } = useTimeseries(api, filters, window, viewKey, 10);
  const topUsers = useRequest(viewKey, (signal) =>
    api.get<{ items: TopUserItem[] }>('/v1/analytics/top-users', windowQuery(window, { limit: '10' }, filters.actionTypes), signal),
  );
  const slow = useRequest(viewKey, (signal) =>
    api.get<{ items: ResponseTimeItem[] }>('/v1/analytics/response-times', windowQuery(window, { groupBy: 'queryName', limit: '10' }), signal),
  );

  const otherFilters = hasNarrowingFilters({ ...filters, actionTypes: [] });
  // The summary counts every type; with types chosen, the event counts are narrowed here from its per-type items.
  const typed = filters.actionTypes.length > 0;
  const chosen = new Set<string>(filters.actionTypes);
  const typedItems = summary.data?.items.filter((i) => !typed || chosen.has(i.actionType));
  const loading = summary.status === 'loading';

  return (
    <div className="insights">
      {otherFilters && (
        <p className="notice">
          "Events over time" follows every filter. The totals, top users and slowest queries follow the date range only (top users the action types too): the user, page, query,
          resource, IP and text filters do not narrow them.
        </p>
      )}
      <div className="kpis">
        <Kpi label={typed ? 'Events of the chosen types' : 'Events'} value={typedItems?.reduce((sum, i) => sum + i.count, 0)} loading={loading} />
        <Kpi label="Active users" note={typed ? 'all action types' : undefined} value={summary.data?.distinctUsers} loading={loading} />
        <Kpi label="Distinct IP addresses" note={typed ? 'all action types' : undefined} value={summary.data?.distinctIps} loading={loading} />
        <Kpi label="Action types seen" value={typedItems?.length} loading={loading} />
      </div>
      {summary.status === 'error' && <ErrorState error={summary.error} onRetry={summary.reload} what="The summary" />}

      <section className="card" aria-labelledby="ts-title">
        <div className="card-head">
          <h2 id="ts-title">
            Events over time <span className="muted normal">by action type, per {interval}</span>
          </h2>
          {timeseries.status === 'loading' && <Spinner />}
        </div>
        {timeseries.status === 'error' && <ErrorState error={timeseries.error} onRetry={timeseries.reload} what="Events over time" />}
        {series && series.keys.length === 0 && <EmptyState title="No events in this period" />}
        {series && series.keys.length > 0 && (
          <StackedBarChart title={`Events per ${interval} by action type`} series={series} interval={interval} colors={colors} height={260} />
        )}
      </section>

      <div className="chart-grid">
        <section className="card" aria-labelledby="users-title">
          <div className="card-head">
            <h2 id="users-title">Top users</h2>
            <span className="muted small">by number of events · select one to see their events</span>
            {topUsers.status === 'loading' && <Spinner />}
          </div>
          {topUsers.status === 'error' && <ErrorState error={topUsers.error} onRetry={topUsers.reload} what="Top users" />}
          {topUsers.data && topUsers.data.items.length === 0 && <EmptyState title="No user activity in this period" />}
          {topUsers.data && topUsers.data.items.length > 0 && (
            <BarChart
              title="Top users by number of events"
              description={topUsers.data.items.map((u) => `${u.email ?? u.userName ?? u.userId}: ${formatCount(u.count)} events`).join('; ')}
              bars={topUsers.data.items.map(
                (u): Bar => ({
                  key: u.userId,
                  label: u.email ?? u.userName ?? u.userId,
                  value: u.count,
                  tooltip: `${u.email ?? ''}${u.userName ? ` (${u.userName})` : ''}\nid ${u.userId}\n${formatCount(u.count)} events`,
                }),
              )}
              format={formatCount}
              onPick={(bar) => onPickUser(bar.key)}
              pickLabel={(bar) => `Show the events of ${bar.label} (${formatCount(bar.value)})`}
            />
          )}
        </section>

        <section className="card" aria-labelledby="slow-title">
          <div className="card-head">
            <h2 id="slow-title">Slowest queries</h2>
            <span className="muted small">p95 response time · whisker p50 to p99</span>
            {slow.status === 'loading' && <Spinner />}
          </div>
          {slow.status === 'error' && <ErrorState error={slow.error} onRetry={slow.reload} what="Slowest queries" />}
          {slow.data && slow.data.items.length === 0 && <EmptyState title="No timed queries in this period" />}
          {slow.data && slow.data.items.length > 0 && (
            <BarChart
              title="Slowest queries by 95th percentile response time"
              description={slow.data.items.map((q) => `${q.name}: p95 ${formatDuration(q.p95)}, p50 ${formatDuration(q.p50)}, p99 ${formatDuration(q.p99)}`).join('; ')}
              bars={slow.data.items.map(
                (q): Bar => ({
                  key: q.name,
                  label: q.name,
                  value: q.p95,
                  range: [q.p50, q.p99],
                  tooltip: `${q.name}\n${formatCount(q.count)} runs\np50 ${formatDuration(q.p50)} · p95 ${formatDuration(q.p95)} · p99 ${formatDuration(q.p99)} · max ${formatDuration(q.max)}`,
                }),
              )}
              format={(v) => formatDuration(v)}
              onPick={(bar) => onPickQuery(bar.key)}
              pickLabel={(bar) => `Show the runs of ${bar.label} (p95 ${formatDuration(bar.value)})`}
            />
          )}
        </section>
      </div>
    </div>
  );
}

function Kpi({ label, value, loading, note }: { label: string; value: number | undefined; loading: boolean; note?: string }) {
  return (
    <div className="kpi card">
      <span className="kpi-label">
        {label}
        {note && <span className="muted small"> · {note}</span>}
      </span>
      <span className="kpi-value">{value === undefined ? (loading ? '…' : '—') : formatCount(value)}</span>
    </div>
  );
}
