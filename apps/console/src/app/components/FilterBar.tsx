import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ApiClient } from '../api';
import { EMPTY_FILTERS, hasNarrowingFilters, RANGE_PRESETS, type ConsoleFilters, type RangeId, type TimeWindow } from '../filters';
import { fromLocalInput, toLocalInput } from '../format';
import { ActionTypeSelect } from './ActionTypeSelect';
import { SearchBox } from './SearchBox';
import { UserFilter } from './UserFilter';
import { RefreshIcon } from './icons';

interface Props {
  filters: ConsoleFilters;
  onChange: (next: ConsoleFilters) => void;
  onRefresh: () => void;
  api: ApiClient;
  window: TimeWindow;
}

type Draft = Pick<ConsoleFilters, 'pageName' | 'queryName' | 'resourceName' | 'ipAddress' | 'search'>;
// An old link's q (free text) is shown in the search box and applied as a search: the language's free text means the same and more.
const draftOf = (f: ConsoleFilters): Draft => ({ pageName: f.pageName, queryName: f.queryName, resourceName: f.resourceName, ipAddress: f.ipAddress, search: f.search || f.q });

const TEXT_FIELDS: Array<{ name: keyof Omit<Draft, 'search'>; label: string; placeholder: string }> = [
  { name: 'pageName', label: 'Page', placeholder: 'Any page' },
  { name: 'queryName', label: 'Query', placeholder: 'Any query' },
  { name: 'resourceName', label: 'Resource', placeholder: 'Any resource' },
  { name: 'ipAddress', label: 'IP address', placeholder: 'Any IP' },
];

/**
 * Every filter of the view. Presets, action types and the user apply at once; the search box and the text
 * fields apply together on Enter or with the Apply button, so typing does not reload the table at each
 * keystroke. The fixed controls stay beside the search box (each its own URL parameter, ANDed with the
 * search by the API) rather than being written into its text.
 */
export function FilterBar({ filters, onChange, onRefresh, api, window }: Props) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(filters));
  const [custom, setCustom] = useState({ from: toLocalInput(filters.from || window.from.toISOString()), to: toLocalInput(filters.to || window.to.toISOString()) });
  const ids = { from: useId(), to: useId(), range: useId() };
  const fieldIds = useId();

  // The URL is the source of truth: back/forward or a pasted link replaces what the fields show.
  useEffect(() => setDraft(draftOf(filters)), [filters]);
  useEffect(() => {
    if (filters.range === 'custom') setCustom({ from: toLocalInput(filters.from || window.from.toISOString()), to: toLocalInput(filters.to || window.to.toISOString()) });
  }, [filters.range, filters.from, filters.to]);

  const dirty = (Object.keys(draft) as Array<keyof Draft>).some((k) => draft[k].trim() !== filters[k]);

  const apply = (event?: FormEvent) => {
    event?.preventDefault();
    const next = { ...filters, ...Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()])), q: '' } as ConsoleFilters;
    if (filters.range === 'custom') {
      next.from = fromLocalInput(custom.from);
      next.to = fromLocalInput(custom.to);
    }
    onChange(next);
  };

  const setRange = (range: RangeId) => {
    if (range === 'custom') {
      onChange({ ...filters, range, from: window.from.toISOString(), to: window.to.toISOString() });
    } else {
      onChange({ ...filters, range, from: '', to: '' });
    }
  };

  // On a phone the page, query, resource and IP fields fold away behind a button (shown only there), unless one is set.
  const [moreOpen, setMoreOpen] = useState(false);
  const moreSet = TEXT_FIELDS.some((f) => draft[f.name] !== '');

  const customInvalid = filters.range === 'custom' && custom.from !== '' && custom.to !== '' && custom.from > custom.to;

  return (
    <form className="filterbar" onSubmit={apply} role="search" aria-label="Filter events">
      <div className="filter-row">
        <SearchBox api={api} value={draft.search} onChange={(search) => setDraft({ ...draft, search })} />
        <div className="segmented" role="group" aria-labelledby={ids.range}>
          <span id={ids.range} className="sr-only">
            Date range
          </span>
          {RANGE_PRESETS.map((p) => (
            <button key={p.id} type="button" aria-pressed={filters.range === p.id} onClick={() => setRange(p.id)} title={p.label}>
              {p.id}
            </button>
          ))}
          <button type="button" aria-pressed={filters.range === 'custom'} onClick={() => setRange('custom')}>
            Custom
          </button>
        </div>
        <ActionTypeSelect selected={filters.actionTypes} onChange={(actionTypes) => onChange({ ...filters, actionTypes })} />
        <UserFilter api={api} value={filters.userId} onChange={(userId) => onChange({ ...filters, userId })} />
        <button type="button" className="button ghost icon-only" onClick={onRefresh} title="Reload with the latest events" aria-label="Refresh">
          <RefreshIcon />
        </button>
        <button type="button" className="button ghost more-toggle" aria-expanded={moreOpen || moreSet} onClick={() => setMoreOpen((open) => !open)}>
          {moreOpen || moreSet ? 'Fewer filters' : 'More filters'}
        </button>
      </div>
      {filters.range === 'custom' && (
        <div className="filter-row custom-range">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" value={custom.from} onChange={(e) => setCustom({ ...custom, from: e.target.value })} aria-invalid={customInvalid || undefined} />
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="datetime-local" value={custom.to} onChange={(e) => setCustom({ ...custom, to: e.target.value })} aria-invalid={customInvalid || undefined} />
          <span className="muted small">Your local time ({Intl.DateTimeFormat().resolvedOptions().timeZone}). Press Apply.</span>
          {customInvalid && (
            <span className="text-danger small" role="alert">
              “From” must be before “To”.
            </span>
          )}
        </div>
      )}
      <div className={`filter-row more-filters${moreOpen || moreSet ? ' open' : ''}`}>
        {TEXT_FIELDS.map((f) => (
          <div className="text-field" key={f.name}>
            <label htmlFor={`${fieldIds}-${f.name}`}>{f.label}</label>
            <input
              id={`${fieldIds}-${f.name}`}
              value={draft[f.name]}
              onChange={(e) => setDraft({ ...draft, [f.name]: e.target.value })}
              placeholder={f.placeholder}
              autoComplete="off"
              spellCheck={false}
            />
          </div>
        ))}
        <div className="filter-actions">
          <button type="submit" className={`button ${dirty || filters.range === 'custom' ? 'primary' : ''}`} disabled={customInvalid}>
            Apply
          </button>
          {(hasNarrowingFilters(filters) || filters.range !== EMPTY_FILTERS.range) && (
            <button type="button" className="button ghost" onClick={() => onChange({ ...EMPTY_FILTERS })}>
              Clear all
            </button>
          )}
        </div>
      </div>
    </form>
  );
}
