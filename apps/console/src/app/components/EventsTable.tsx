import { useEffect, useRef, type KeyboardEvent } from 'react';
import { hasNarrowingFilters, EMPTY_FILTERS, type ConsoleFilters, type TimeWindow } from '../filters';
import { formatCount, formatDuration, localTime, utcInstant, zoneName } from '../format';
import type { EventSummary, ViewCount } from '../types';
import { useDisplayZone } from '../use-zone';
import type { EventPages } from '../use-event-pages';
import { ActionBadge } from './ActionBadge';
import { EmptyState, ErrorState, Spinner } from './states';

interface Props {
  pages: EventPages;
  /** The view's total from ClickHouse, null while unknown. */
  total: ViewCount | null;
  filters: ConsoleFilters;
  window: TimeWindow;
  openEventId: string | null;
  onOpen: (id: string) => void;
  onChangeFilters: (next: ConsoleFilters) => void;
}

const COLUMNS = ['Time', 'User', 'Action', 'Page', 'Query', 'Resource', 'IP address', 'Response'] as const;

function userText(e: EventSummary): { main: string; sub: string | null } {
  const email = e.user?.email ?? null;
  const name = e.user?.userName ?? null;
  if (email) return { main: email, sub: name };
  if (name) return { main: name, sub: null };
  return { main: e.userId ?? '—', sub: null };
}

/**
 * The events of the view, newest first. One row is in the tab order at a time (arrow keys move between
 * rows, Enter opens one); more rows load as the end of the table scrolls into view, or with the button.
 */
export function EventsTable({ pages, total, filters, window, openEventId, onOpen, onChangeFilters }: Props) {
  const sentinel = useRef<HTMLDivElement>(null);
  const { items, status, error, hasMore, loadMore, retry } = pages;

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore || status !== 'ready' || error) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), { rootMargin: '300px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasMore, status, error, loadMore, items.length]);

  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, id: string) => {
    const row = e.currentTarget;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(id);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLTableRowElement | null;
      if (next) {
        row.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      }
    }
  };

  if (status === 'loading') {
    return (
      <section className="card table-card" aria-busy="true" aria-label="Events">
        <TableHead count={null} total={total} window={window} filters={filters} onChangeFilters={onChangeFilters} />
        <div className="skeleton-rows" aria-hidden="true">
          {Array.from({ length: 8 }, (_, i) => (
            <div key={i} className="skeleton-row" />
          ))}
        </div>
        <p className="sr-only" role="status">
          Loading events…
        </p>
      </section>
    );
  }

  if (status === 'error' && error && items.length === 0) {
    return (
      <section className="card table-card" aria-label="Events">
        <TableHead count={null} total={total} window={window} filters={filters} onChangeFilters={onChangeFilters} />
        <ErrorState error={error} onRetry={retry} what="Events" />
      </section>
    );
  }

  if (items.length === 0) {
    return (
      <section className="card table-card" aria-label="Events">
        <TableHead count={0} total={total} window={window} filters={filters} onChangeFilters={onChangeFilters} />
        <EmptyState title="No events match this view">
          {hasNarrowingFilters(filters) ? (
            <>
              Try a wider date range or fewer filters.{' '}
              <button
                type="button"
                className="link-button"
                onClick={() => onChangeFilters({ ...EMPTY_FILTERS, range: filters.range, from: filters.from, to: filters.to, showReads: filters.showReads })}
              >
                Clear the filters
              </button>
            </>
          ) : (
            'Nothing was recorded in this period. Try a wider date range.'
          )}
        </EmptyState>
      </section>
    );
  }

  const focusable = items.some((e) => e.id === openEventId) ? openEventId : items[0].id;

  return (
    <section className="card table-card" aria-label="Events">
      <TableHead count={items.length} more={hasMore} total={total} window={window} filters={filters} onChangeFilters={onChangeFilters} />
      <div className="table-scroll">
        <table className="events-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c} scope="col" className={c === 'Response' ? 'num' : undefined}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((e) => {
              const user = userText(e);
              const selected = e.id === openEventId;
              return (
                <tr
                  key={e.id}
                  data-event-id={e.id}
                  tabIndex={e.id === focusable ? 0 : -1}
                  aria-selected={selected}
                  className={selected ? 'selected' : undefined}
                  onClick={() => onOpen(e.id)}
                  onKeyDown={(k) => onRowKey(k, e.id)}
                  aria-label={`${e.actionType} by ${user.main} at ${localTime(e.createdAt)}`}
                >
                  <td className="nowrap">
                    <time dateTime={e.createdAt} title={utcInstant(e.createdAt)}>
                      {localTime(e.createdAt)}
                    </time>
                  </td>
                  <td className="user-cell" title={e.userId ? `User id ${e.userId}` : undefined}>
                    <span className="ellipsis">{user.main}</span>
                    {user.sub && <span className="sub ellipsis">{user.sub}</span>}
                  </td>
                  <td>
                    <ActionBadge type={e.actionType} />
                  </td>
                  <Cell value={e.pageName} />
                  <Cell value={e.queryName} mono />
                  <Cell value={e.resourceName} />
                  <Cell value={e.ipAddress} mono />
                  <td className="num nowrap">{formatDuration(e.responseTimeMs)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="table-foot" ref={sentinel}>
        {error && (
          <p className="inline-error" role="alert">
            More events could not be loaded: {error.describe()}{' '}
            <button type="button" className="link-button" onClick={retry}>
              Try again
            </button>
          </p>
        )}
        {status === 'loadingMore' && <Spinner label="Loading more events" />}
        {hasMore && status === 'ready' && !error && (
          <button type="button" className="button" onClick={loadMore}>
            Load more
          </button>
        )}
        {!hasMore && <span className="muted small">End of the list: {formatCount(items.length)} events in this view.</span>}
      </div>
    </section>
  );
}

function Cell({ value, mono }: { value: string | null; mono?: boolean }) {
  return (
    <td title={value ?? undefined}>
      {value ? <span className={mono ? 'ellipsis mono' : 'ellipsis'}>{value}</span> : <span className="none">—</span>}
    </td>
  );
}

interface HeadProps {
  count: number | null;
  more?: boolean;
  total: ViewCount | null;
  window: TimeWindow;
  filters: ConsoleFilters;
  onChangeFilters: (next: ConsoleFilters) => void;
}

/** The list's heading: how many of how many, the window in the zone shown (and its switch), and whether the log's own reads are listed. */
function TableHead({ count, more, total, window, filters, onChangeFilters }: HeadProps) {
  const [zone, setZone] = useDisplayZone();
  return (
    <div className="card-head table-head">
      <h2>
        Events{' '}
        {count !== null && (
          <span className="muted normal" role="status">
            {formatCount(count)}
            {more ? '+' : ''} shown
            {total && (
              <span data-testid="view-total" title={total.approximate ? 'ClickHouse stopped counting at its time budget: at least this many.' : 'Counted by ClickHouse.'}>
                {' '}
                of {total.approximate ? '≥ ' : ''}
                {formatCount(total.count)}
                {total.approximate ? ' (approximate)' : ''}
              </span>
            )}
            , newest first
          </span>
        )}
      </h2>
      <span className="muted small" title={`${utcInstant(window.from.toISOString())} – ${utcInstant(window.to.toISOString())}`}>
        {localTime(window.from.toISOString())} – {localTime(window.to.toISOString())}
      </span>
      <div className="head-switches">
        <label className="switch small">
          <span>Times in</span>
          <select aria-label="Time zone" value={zone} onChange={(e) => setZone(e.target.value === 'utc' ? 'utc' : 'local')}>
            <option value="local">Local: {zoneName('local')}</option>
            <option value="utc">UTC</option>
          </select>
        </label>
        <label className="switch small" title="Administrators' reads of this log: PAGE_VIEW events of page “audit”, one per view they opened. Exports and every other action always show.">
          <input type="checkbox" checked={filters.showReads} onChange={(e) => onChangeFilters({ ...filters, showReads: e.target.checked })} />
          <span>Show the log's own reads</span>
        </label>
      </div>
    </div>
  );
}
