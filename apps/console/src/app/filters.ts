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

/**
 * The text filters, named as the API's query parameters so the console's URL reads like the API's.
 * `search` is the query language (the search box); `q`, the older free text, is still read from links
 * and becomes the search box's text, since the API takes one or the other.
 */
export const TEXT_FILTERS = ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q', 'search'] as const;
export type TextFilter = (typeof TEXT_FILTERS)[number];

/** Everything that selects the events on screen; this is what the URL holds. */
export interface ConsoleFilters extends Record<TextFilter, string> {
  range: RangeId;
  /** ISO instants, only for `range: 'custom'`. */
  from: string;
  to: string;
  actionTypes: ActionType[];
  /**
   * Whether the log's own reads (PAGE_VIEW of pageName "audit": administrators viewing this console or the
   * API) are listed. Hidden by default (`reads=shown` in the URL shows them), so a busy console does not
   * fill its own view; exports, settings changes and erasures are other action types and always show.
   */
  showReads: boolean;
}



export const DEFAULT_RANGE: RangePreset = '24h';

export const EMPTY_FILTERS: ConsoleFilters = {
  range: DEFAULT_RANGE,
  from: '',
  to: '',
  actionTypes: [],
  showReads: false,
  userId: '',
  pageName: '',
  queryName: '',
  resourceName: '',
  ipAddress: '',
  q: '',
  search: '',
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
  // The API refuses both at once: the search wins, as the box shows it.
  if (filters.search) filters.q = '';
  filters.showReads = search.get('reads') === 'shown';
  return filters;
}

/** The view's URL parameters besides the filters: the open event. */
const OTHER_PARAMS = ['event'] as const;
const KNOWN_PARAMS: ReadonlySet<string> = new Set(['range', 'from', 'to', 'actionType', 'reads', ...TEXT_FILTERS, ...OTHER_PARAMS]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a hand-edited or stale link holds that the console did not use, one line each, so the page says
 * so instead of silently showing another view than the link meant.
 */
export function urlProblems(search: URLSearchParams): string[] {
  const problems: string[] = [];
  const names = [...new Set(search.keys())];
  for (const name of names) if (!KNOWN_PARAMS.has(name)) problems.push(`"${name}" is not a parameter of this page`);
  for (const name of names.filter((n) => KNOWN_PARAMS.has(n) && n !== 'actionType')) {
    if (search.getAll(name).length > 1) problems.push(`"${name}" is given more than once (the first is used)`);
  }
  const range = search.get('range');
  if (range !== null && range !== 'custom' && !RANGE_PRESETS.some((p) => p.id === range)) {
    problems.push(`range "${range}" is not one of ${[...RANGE_PRESETS.map((p) => p.id), 'custom'].join(', ')} (showing the last 24 hours)`);
  }
  for (const name of ['from', 'to'] as const) {
    const value = search.get(name);
    if (value === null) continue;
    if (range !== 'custom') problems.push(`"${name}" is used only with range=custom`);
    else if (!isoOrEmpty(value)) problems.push(`${name} "${value}" is not a date and time`);
  }
  for (const type of search.getAll('actionType')) if (!isActionType(type)) problems.push(`actionType "${type}" is not an action type`);
  if (search.get('q') && search.get('search')) problems.push('"q" and "search" cannot be combined (the search is used)');
  const reads = search.get('reads');
  if (reads !== null && reads !== 'shown') problems.push(`reads "${reads}" must be "shown" (or absent, to hide the log's own reads)`);
  const event = search.get('event');
  if (event !== null && !UUID.test(event)) problems.push(`event "${event}" is not an event id`);
  return problems;
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
  if (filters.showReads) search.set('reads', 'shown');
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

/**
 * The view's filters as the API's query parameters (the list's, its chart's and its count's alike, so
 * all three show the same events). Hiding the log's own reads is `hideAuditReads=true`.
 */
export function viewQuery(filters: ConsoleFilters, window: TimeWindow): URLSearchParams {
  const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString() });
  for (const type of filters.actionTypes) query.append('actionType', type);
  for (const name of TEXT_FILTERS) if (filters[name]) query.set(name, filters[name]);
  if (!filters.showReads) query.set('hideAuditReads', 'true');
  return query;
}

/** The `GET /v1/events` query for one page of a view. */
export function eventsQuery(filters: ConsoleFilters, window: TimeWindow, limit: number, cursor?: string): URLSearchParams {
  const query = viewQuery(filters, window);
  query.set('limit', String(limit));
  if (cursor) query.set('cursor', cursor);
  return query;
}

/** The `POST /v1/exports` body for a view: the same window and filters as the table. */
export function exportRequest(filters: ConsoleFilters, window: TimeWindow): Record<string, unknown> {
  const body: Record<string, unknown> = { from: window.from.toISOString(), to: window.to.toISOString() };
  if (filters.actionTypes.length > 0) body['actionType'] = filters.actionTypes;
  for (const name of TEXT_FILTERS) if (filters[name]) body[name] = filters[name];
  if (!filters.showReads) body['hideAuditReads'] = 'true';
  return body;
}

/** The custom range of one chart bucket, [start, start + interval), clipped to the view's window: clicking a bar narrows to it. */
export function bucketFilters(filters: ConsoleFilters, window: TimeWindow, bucketStart: number, interval: ChartInterval): ConsoleFilters {
  const size = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[interval];
  const from = Math.max(bucketStart, window.from.getTime());
  const to = Math.min(bucketStart + size, window.to.getTime());
  return { ...filters, range: 'custom', from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

export type ChartInterval = 'minute' | 'hour' | 'day';

/** A bucket size that gives a readable number of bars (about 24 to 200) for a window. */
export function chartInterval(window: TimeWindow): ChartInterval {
  const span = window.to.getTime() - window.from.getTime();
  if (span <= 3 * 3_600_000) return 'minute';
  if (span <= 8 * 86_400_000) return 'hour';
  return 'day';
}
