import { useMemo } from 'react';
import type { ApiClient } from '../api';
import { bucketStarts, stackSeries } from '../chart-math';
import { chartInterval, viewQuery, type ConsoleFilters, type TimeWindow } from '../filters';
import type { TimeseriesItem } from '../types';
import { useRequest } from '../use-request';
import { colorsFor } from './palette';

export const OTHER = 'Other';

/** Events over time by action type for a view: the list's own filters, so the chart counts the events the list shows. */
export function useTimeseries(api: ApiClient, filters: ConsoleFilters, window: TimeWindow, viewKey: string, maxKeys: number) {
  const interval = chartInterval(window);
  const request = useRequest(`${viewKey}|${interval}`, (signal) => {
    const query = viewQuery(filters, window);
    query.set('interval', interval);
    return api.get<{ items: TimeseriesItem[] }>('/v1/analytics/timeseries', query, signal);
  });
  const series = useMemo(
    () => (request.data ? stackSeries(request.data.items, bucketStarts(window, interval), maxKeys, OTHER) : null),
    [request.data, window, interval, maxKeys],
  );
  const colors = useMemo(() => colorsFor(series?.keys ?? [], OTHER), [series]);
  return { request, series, colors, interval };
}
