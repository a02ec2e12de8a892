import { useMemo, useRef, useState } from 'react';
import type { ApiClient } from '../api';
import { EventDetailPanel } from '../components/EventDetailPanel';
import { EventsTable } from '../components/EventsTable';
import { LiveSwitch } from '../components/LiveSwitch';
import { liveQuery, useLiveTail } from '../use-live-tail';
import { viewQuery, type ConsoleFilters, type TimeWindow } from '../filters';
import type { ViewCount } from '../types';
import { useRequest } from '../use-request';
import { useEventPages } from '../use-event-pages';
import { ActivityStrip } from './ActivityStrip';

interface Props {
  api: ApiClient;
  filters: ConsoleFilters;
  window: TimeWindow;
  viewKey: string;
  openEventId: string | null;
  onOpenEvent: (id: string | null) => void;
  onChangeFilters: (next: ConsoleFilters) => void;
}

export function EventsView({ api, filters, window, viewKey, openEventId, onOpenEvent, onChangeFilters }: Props) {
  const pages = useEventPages(api, filters, window, viewKey);
  // The view's total from ClickHouse (the list's filters and search), beside the rows loaded so far.
  const count = useRequest(viewKey, (signal) => api.get<ViewCount>('/v1/analytics/count', viewQuery(filters, window), signal));
  const [live, setLive] = useState(false);
  const tail = useLiveTail(api, live ? liveQuery(filters, window) : null);
  // Live events go on top of the loaded pages; one that a reload brought into the pages shows once.
  const shown = useMemo(() => {
    if (tail.items.length === 0) return pages;
    const loaded = new Set(pages.items.map((e) => e.id));
    return { ...pages, items: [...tail.items.filter((e) => !loaded.has(e.id)), ...pages.items] };
  }, [pages, tail.items]);
  const lastOpened = useRef<string | null>(null);
  if (openEventId) lastOpened.current = openEventId;

  const close = () => {
    onOpenEvent(null);
    // Back to the row the panel was opened from, so keyboard users keep their place.
    const id = lastOpened.current;
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`tr[data-event-id="${CSS.escape(id ?? '')}"]`)?.focus());
  };

  return (
    <div className={`events-layout${openEventId ? ' with-panel' : ''}`}>
      <div className="events-main">
        <ActivityStrip api={api} filters={filters} window={window} viewKey={viewKey} onChangeFilters={onChangeFilters} />
        <LiveSwitch on={live} tail={tail} onChange={setLive} />
        <EventsTable pages={shown} total={count.data ?? null} filters={filters} window={window} openEventId={openEventId} onOpen={onOpenEvent} onChangeFilters={onChangeFilters} />
      </div>
      {openEventId && <EventDetailPanel key={openEventId} api={api} id={openEventId} onClose={close} onChangeFilters={(patch) => onChangeFilters({ ...filters, ...patch })} />}
    </div>
  );
}
