import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, isAbort, type ApiClient, type ApiError } from './api';
import { eventsQuery, type ConsoleFilters, type TimeWindow } from './filters';
import type { EventSummary, Page } from './types';

export const PAGE_SIZE = 50;

export interface EventPages {
  items: EventSummary[];
  status: 'loading' | 'ready' | 'loadingMore' | 'error';
  error?: ApiError;
  hasMore: boolean;
  loadMore: () => void;
  retry: () => void;
}

/**
 * The events of one view, page after page through the API's keyset cursor. The window is fixed when the
 * view is (re)loaded, so later pages continue the same list however many events arrive meanwhile.
 */
export function useEventPages(api: ApiClient, filters: ConsoleFilters, window: TimeWindow, viewKey: string): EventPages {
  const [items, setItems] = useState<EventSummary[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [status, setStatus] = useState<EventPages['status']>('loading');
  const [error, setError] = useState<ApiError | undefined>();
  const [tick, setTick] = useState(0);
  const inFlight = useRef<AbortController | null>(null);
  const args = useRef({ api, filters, window });
  args.current = { api, filters, window };

  const fetchPage = useCallback(async (after: string | undefined, signal: AbortSignal) => {
    const { api: client, filters: f, window: w } = args.current;
    return client.get<Page<EventSummary>>('/v1/events', eventsQuery(f, w, PAGE_SIZE, after), signal);
  }, []);

  useEffect(() => {
    inFlight.current?.abort();
    const controller = new AbortController();
    inFlight.current = controller;
    setItems([]);
    setCursor(undefined);
    setError(undefined);
    setStatus('loading');
    fetchPage(undefined, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setItems(page.items);
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        setError(asApiError(e));
        setStatus('error');
      },
    );
    return () => controller.abort();
  }, [viewKey, tick, fetchPage]);

  const loadMore = useCallback(() => {
    if (!cursor || status === 'loadingMore' || status === 'loading') return;
    const controller = new AbortController();
    inFlight.current = controller;
    setStatus('loadingMore');
    setError(undefined);
    fetchPage(cursor, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        setItems((previous) => [...previous, ...page.items]);
        setCursor(page.nextCursor);
        setStatus('ready');
      },
      (e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        setError(asApiError(e));
        // The rows already shown stay; the error is shown below them with a retry of this page.
        setStatus('ready');
      },
    );
  }, [cursor, status, fetchPage]);

  const retry = useCallback(() => {
    if (items.length > 0 && cursor) loadMore();
    else setTick((t) => t + 1);
  }, [items.length, cursor, loadMore]);

  return { items, status, error, hasMore: cursor !== undefined, loadMore, retry };
}
