import { useCallback, useSyncExternalStore } from 'react';

/** Client-side routes under the console's base path (`/audit/` in a build). */
export type View = 'events' | 'insights' | 'checkpoints' | 'settings';

const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

const listeners = new Set<() => void>();
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}
const snapshot = () => window.location.pathname + window.location.search;

export interface Location {
  view: View;
  search: URLSearchParams;
}

function parse(href: string): Location {
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
  const route = path.replace(/\/+$/, '');
  return { view: route === '/insights' ? 'insights' : route === '/checkpoints' ? 'checkpoints' : route === '/settings' ? 'settings' : 'events', search: url.searchParams };
}

export function hrefOf(view: View, search: URLSearchParams): string {
  const query = search.toString();
  return `${BASE}/${view === 'events' ? '' : view}${query ? `?${query}` : ''}`;
}

/**
 * The current view and query, kept in the address bar so every view can be bookmarked and shared.
 * `navigate` pushes a history entry (back goes to the previous view) unless `replace` is asked.
 */
export function useLocation(): [Location, (view: View, search: URLSearchParams, options?: { replace?: boolean }) => void] {
  const href = useSyncExternalStore(subscribe, snapshot);
  const navigate = useCallback((view: View, search: URLSearchParams, options?: { replace?: boolean }) => {
    const next = hrefOf(view, search);
    if (next === snapshot()) return;
    if (options?.replace) window.history.replaceState(null, '', next);
    else window.history.pushState(null, '', next);
    listeners.forEach((l) => l());
  }, []);
  return [parse(href), navigate];
}
