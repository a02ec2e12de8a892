import { useCallback, useMemo, useState } from 'react';
import { createApiClient, type ApiError } from './api';
import { FilterBar } from './components/FilterBar';
import { Header } from './components/Header';
import { EventsView } from './views/EventsView';
import { CheckpointsView } from './views/CheckpointsView';
import { InsightsView } from './views/InsightsView';
import { SettingsView } from './views/SettingsView';
import { filtersToSearch, parseFilters, resolveWindow, urlProblems, type ConsoleFilters } from './filters';
import { hrefOf, useLocation, type View } from './router';
import type { OidcClaimMapping } from '@audit/contracts';
import { readClaims } from './session';
import { useDisplayZone } from './use-zone';

interface Props {
  /** The current token (a single sign-on session renews it in place). */
  token: () => string;
  onSignOut: () => void;
  onUnauthorized: (error: ApiError) => void;
  /** For a single sign-on session: how the provider's token names the organization and role. */
  claimMapping?: OidcClaimMapping;
}

/** The signed-in console: header, filters from the URL, and the current view. */
export function ConsoleShell({ token, onSignOut, onUnauthorized, claimMapping }: Props) {
  const api = useMemo(() => createApiClient(token, onUnauthorized), [token, onUnauthorized]);
  const claims = readClaims(token(), claimMapping);
  const [location, navigate] = useLocation();
  const searchText = location.search.toString();
  const filters = useMemo(() => parseFilters(new URLSearchParams(searchText)), [searchText]);
  const problems = useMemo(() => urlProblems(new URLSearchParams(searchText)), [searchText]);
  const eventParam = location.search.get('event');
  // An id that cannot be an event's was reported above; asking for it would only be refused.
  const openEventId = eventParam && !problems.some((p) => p.startsWith('event ')) ? eventParam : null;
  // Subscribed here so that switching between UTC and local time redraws every time on the page.
  useDisplayZone();

  // The window is fixed each time the filters change or the view is refreshed, so every page and chart
  // of one view covers the same instants.
  const filterKey = filtersToSearch(filters).toString();
  const [refreshTick, setRefreshTick] = useState(0);
  const window = useMemo(() => resolveWindow(filters, new Date()), [filterKey, refreshTick]);
  const viewKey = `${filterKey}#${refreshTick}`;

  const setFilters = useCallback(
    (next: ConsoleFilters) => navigate(location.view, filtersToSearch(next)),
    [navigate, location.view],
  );
  const go = useCallback((view: View, next?: ConsoleFilters) => navigate(view, filtersToSearch(next ?? filters)), [navigate, filters]);
  const openEvent = useCallback(
    (id: string | null) => {
      const search = filtersToSearch(filters);
      if (id) search.set('event', id);
      navigate('events', search, { replace: openEventId !== null && id !== null });
    },
    [filters, navigate, openEventId],
  );

  return (
    <div className="app">
      <Header claims={claims} view={location.view} onNavigate={(view) => go(view)} hrefOf={(view) => hrefOf(view, filtersToSearch(filters))} onSignOut={onSignOut} api={api} filters={filters} window={window} />
      {location.view !== 'checkpoints' && location.view !== 'settings' && <FilterBar filters={filters} onChange={setFilters} api={api} onRefresh={() => setRefreshTick((t) => t + 1)} window={window} />}
      {problems.length > 0 && (
        <div className="notice url-problems" role="alert">
          <p>This link holds what the console cannot use, so it was left out of the view:</p>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <button type="button" className="link-button" onClick={() => setFilters(filters)}>
            Remove them from the address
          </button>
        </div>
      )}
      <main className="content" id="main">
        {location.view === 'checkpoints' ? (
          <CheckpointsView api={api} />
          ) : location.view === 'settings' ? (
          <SettingsView api={api} checkpointsHref={hrefOf('checkpoints', new URLSearchParams())} onOpenCheckpoints={() => navigate('checkpoints', new URLSearchParams())} />
        ) : location.view === 'insights' ? (
          <InsightsView api={api} filters={filters} window={window} viewKey={viewKey} onPickUser={(userId) => go('events', { ...filters, userId })} onPickQuery={(queryName) => go('events', { ...filters, queryName })} />
        ) : (
          <EventsView api={api} filters={filters} window={window} viewKey={viewKey} openEventId={openEventId} onOpenEvent={openEvent} onChangeFilters={setFilters} />
        )}
      </main>
    </div>
  );
}
