import { isActionType, type ActionType } from '@audit/contracts';

/** The date presets of the filter bar; `custom` reads `from`/`to` from the URL. */
export const RANGE_PRESETS = [
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

export type RangePreset = (typeof RANGE_PRESETS)[number]['id'];
export type RangeId = RangePreset | 'custom';

/** The text filters, named as the API's query parameters so the console's URL reads like the API's. */
export const TEXT_FILTERS = ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q'] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

/** Everything that selects the events on screen; this is what the URL holds. */
export interface ConsoleFilters extends Record<TextFilter, string> {
  range: RangeId;
  /** ISO instants, only for `range: 'custom'`. */
  from: string;
  to: string;
  actionTypes: ActionType[];
}

export const DEFAULT_RANGE: RangePreset = '24h';

export const EMPTY_FILTERS: ConsoleFilters = {
  range: DEFAULT_RANGE,
  from: '',
  to: '',
  actionTypes: [],
  userId: '',
  pageName: '',
  queryName: '',
  resourceName: '',
  ipAddress: '',
  q: '',
};

function isoOrEmpty(value: string | null): string {
  if (!value) return '';
  const time = Date.parse(value);
  return Number.isNaN(time) ? '' : new Date(time).toISOString();
}

/**
 * Reads filters from a URL's query. Whatever a hand-edited or stale link holds that the console cannot
 * use (an unknown action type, a bad date) is dropped rather than sent on, so a link never breaks the page.
 */
export function parseFilters(search: URLSearchParams): ConsoleFilters {
  const filters: ConsoleFilters = { ...EMPTY_FILTERS, actionTypes: [] };
  const range = search.get('range');
  if (range === 'custom' || RANGE_PRESETS.some((p) => p.id === range)) filters.range = range as RangeId;
  if (filters.range === 'custom') {
    filters.from = isoOrEmpty(search.get('from'));
    filters.to = isoOrEmpty(search.get('to'));
    if (!filters.from && !filters.to) filters.range = DEFAULT_RANGE;
  }
  const seen = new Set<ActionType>();
  for (const type of search.getAll('actionType')) if (isActionType(type)) seen.add(type);
  filters.actionTypes = [...seen];
  for (const name of TEXT_FILTERS) filters[name] = (search.get(name) ?? '').trim();
  return filters;
}

/** The URL query of a view: only what differs from the defaults, in a stable order. */
export function filtersToSearch(filters: ConsoleFilters): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.range !== DEFAULT_RANGE) search.set('range', filters.range);
  if (filters.range === 'custom') {
    if (filters.from) search.set('from', filters.from);
    if (filters.to) search.set('to', filters.to);
  }
  for (const type of filters.actionTypes) search.append('actionType', type);
  for (const name of TEXT_FILTERS) if (filters[name].trim()) search.set(name, filters[name].trim());
  return search;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** The instants a view covers at `now`: a preset ends now; a custom range without an end ends now too. */
export function resolveWindow(filters: ConsoleFilters, now: Date): TimeWindow {
  if (filters.range === 'custom') {
    const to = filters.to ? new Date(filters.to) : now;
    const from = filters.from ? new Date(filters.from) : new Date(to.getTime() - 86_400_000);
    return { from, to };
  }
  const preset = RANGE_PRESETS.find((p) => p.id === filters.range) ?? RANGE_PRESETS[1];
  return { from: new Date(now.getTime() - preset.ms), to: now };
}

/** True when some filter other than the date range narrows the view. */
export function hasNarrowingFilters(filters: ConsoleFilters): boolean {
  return filters.actionTypes.length > 0 || TEXT_FILTERS.some((name) => filters[name] !== '');
}

/** The `GET /v1/events` query for one page of a view. */
export function eventsQuery(filters: ConsoleFilters, window: TimeWindow, limit: number, cursor?: string): URLSearchParams {
  const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString() });
  for (const type of filters.actionTypes) query.append('actionType', type);
  for (const name of TEXT_FILTERS) if (filters[name]) query.set(name, filters[name]);
  query.set('limit', String(limit));
  if (cursor) query.set('cursor', cursor);
  return query;
}

/** The `POST /v1/exports` body for a view: the same window and filters as the table. */
export function exportRequest(filters: ConsoleFilters, window: TimeWindow): Record<string, unknown> {
  const body: Record<string, unknown> = { from: window.from.toISOString(), to: window.to.toISOString() };
  if (filters.actionTypes.length > 0) body['actionType'] = filters.actionTypes;
  for (const name of TEXT_FILTERS) if (filters[name]) body[name] = filters[name];
  return body;
}

export type ChartInterval = 'minute' | 'hour' | 'day';

/** A bucket size that gives a readable number of bars (about 24 to 200) for a window. */
export function chartInterval(window: TimeWindow): ChartInterval {
  const span = window.to.getTime() - window.from.getTime();
  if (span <= 3 * 3_600_000) return 'minute';
  if (span <= 8 * 86_400_000) return 'hour';
  return 'day';
}
