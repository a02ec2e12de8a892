import { isActionType, type ActionType } from '@audit/contracts';
import type { QueryReader } from '@audit/platform';
import { allOf, compilePostgres, MAX_SEARCH_LENGTH, parseSearch, SearchSyntaxError, type SearchNode } from '@audit/search';

/** The filters of `GET /v1/events`, shared by the export jobs so an export holds exactly what the view showed. */
export const EVENT_FILTER_PARAMS = ['from', 'to', 'actionType', 'userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q', 'hideAuditReads', 'search'] as const;

/** A search in the query language (libs/search), with the instant its relative times were read at. */
export interface EventSearch {
  text: string;
  at: Date;
  node: SearchNode;
}

export interface EventFilter {
  /** Inclusive lower bound on `createdAt`. */
  from?: Date;
  /** Exclusive upper bound on `createdAt`, so consecutive windows never count an event twice. */
  to?: Date;
  /** Any of these action types; empty means all. */
  actionTypes: ActionType[];
  userId?: string;
  pageName?: string;
  queryName?: string;
  resourceName?: string;
  ipAddress?: string;
  /** Case-insensitive substring of the page, query or resource name, or of the query text. */
  q?: string;
  /**
   * Leaves out the log's own reads (PAGE_VIEW events of page "audit": administrators viewing the console or
   * the API), as the console does by default. Exports (PAGE_EXPORT) and every other action stay.
   */
  hideAuditReads?: boolean;
  /** The `search` parameter: ANDed with the fixed filters above. */
  search?: EventSearch;
}

type ExactField = 'userId' | 'pageName' | 'queryName' | 'resourceName' | 'ipAddress';
const EXACT_FIELDS: readonly ExactField[] = ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'];

/** The page name of administrators' reads of the audit trail (console and API), which hideAuditReads leaves out. */
export const AUDIT_READS_PAGE = 'audit';

/** Reads the filter parameters; problems are collected by the reader and thrown by its `done()`. */
export function readEventFilter(reader: QueryReader, now = new Date()): EventFilter {
  const { from, to } = reader.bounds();
  return { from, to, ...readEventNarrowing(reader, now) };
}

/** The filter parameters but the time bounds (which analytics read as a bounded window instead). */
export function readEventNarrowing(reader: QueryReader, now = new Date()): Omit<EventFilter, 'from' | 'to'> {
  const filter: Omit<EventFilter, 'from' | 'to'> = { actionTypes: reader.actionTypes() };
  for (const field of EXACT_FIELDS) {
    const value = reader.text(field);
    if (value !== undefined) filter[field] = value;
  }
  if (reader.oneOf('hideAuditReads', ['true', 'false'] as const, 'false') === 'true') filter.hideAuditReads = true;
  const q = reader.text('q', 256);
  if (q !== undefined) filter.q = q;
  const search = readSearchParameter(reader, now);
  if (search !== undefined) {
    // q predates the language and means less than its free text (no user e-mails or names): one or the other.
    if (q !== undefined) reader.problem('q', 'cannot be combined with search: put the text into search');
    filter.search = search;
  }
  return filter;
}

/** The `search` parameter, parsed at `now`; a syntax error is the reader's problem (400 naming `search`, the position and the term). */
export function readSearchParameter(reader: QueryReader, now = new Date()): EventSearch | undefined {
  const text = reader.text('search', MAX_SEARCH_LENGTH);
  if (text === undefined) return undefined;
  try {
    return readSearch(text, now);
  } catch (error) {
    if (!(error instanceof SearchSyntaxError)) throw error;
    reader.problem('search', error.message);
    return undefined;
  }
}

/** Parses a search at `at` (its relative times count back from it). Throws SearchSyntaxError. */
export function readSearch(text: string, at: Date): EventSearch {
  return { text, at, node: parseSearch(text, at) };
}

/** The filter as stored with an export job (dates as ISO strings, absent fields left out). */
export function eventFilterToJson(filter: EventFilter): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (filter.from) json.from = filter.from.toISOString();
  if (filter.to) json.to = filter.to.toISOString();
  if (filter.actionTypes.length > 0) json.actionType = [...filter.actionTypes];
  for (const field of [...EXACT_FIELDS, 'q'] as const) if (filter[field] !== undefined) json[field] = filter[field];
  if (filter.hideAuditReads) json.hideAuditReads = true;
  if (filter.search) {
    json.search = filter.search.text;
    json.searchAt = filter.search.at.toISOString();
  }
  return json;
}

/** The inverse of {@link eventFilterToJson}; throws on a document it did not produce. */
export function eventFilterFromJson(json: Record<string, unknown>): EventFilter {
  const date = (value: unknown): Date | undefined => {
    if (value === undefined) return undefined;
    const parsed = typeof value === 'string' ? new Date(value) : new Date(NaN);
    if (Number.isNaN(parsed.getTime())) throw new Error(`stored event filter has a bad date: ${String(value)}`);
    return parsed;
  };
  const types = json.actionType === undefined ? [] : (json.actionType as unknown[]);
  if (!Array.isArray(types) || !types.every((t): t is ActionType => typeof t === 'string' && isActionType(t))) {
    throw new Error('stored event filter has bad action types');
  }
  const filter: EventFilter = { from: date(json.from), to: date(json.to), actionTypes: types };
  if (json.hideAuditReads !== undefined) {
    if (json.hideAuditReads !== true) throw new Error('stored event filter has a bad hideAuditReads');
    filter.hideAuditReads = true;
  }
  for (const field of [...EXACT_FIELDS, 'q'] as const) {
    const value = json[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new Error(`stored event filter has a bad ${field}`);
    filter[field] = value;
  }
  if (json.search !== undefined) {
    const at = date(json.searchAt);
    if (typeof json.search !== 'string' || !at) throw new Error('stored event filter has a bad search');
    filter.search = readSearch(json.search, at);
  }
  return filter;
}

/**
 * The whole filter as one search tree: the fixed parameters as the terms they mean, ANDed with the
 * search. What the ClickHouse path compiles (q, which the language's free text widens, never comes with
 * a search; see readEventFilter).
 */
export function eventFilterNode(filter: EventFilter): SearchNode {
  const span = { start: 0, end: 0 };
  const terms: SearchNode[] = [];
  if (filter.from || filter.to) terms.push({ kind: 'created', interval: { from: filter.from?.getTime(), to: filter.to?.getTime() }, span });
  if (filter.actionTypes.length > 0) terms.push({ kind: 'action', actionTypes: filter.actionTypes, span });
  if (filter.userId !== undefined) terms.push({ kind: 'userId', values: [filter.userId], span });
  for (const field of ['pageName', 'queryName', 'resourceName', 'ipAddress'] as const) {
    const value = filter[field];
    if (value !== undefined) terms.push({ kind: 'name', field, values: [value], span });
  }
  if (filter.hideAuditReads) {
    // Not (PAGE_VIEW of page "audit"); an event without a page name is no read of the log.
    const auditRead: SearchNode = allOf([
      { kind: 'action', actionTypes: ['PAGE_VIEW'], span },
      { kind: 'name', field: 'pageName', values: [AUDIT_READS_PAGE], span },
    ]);
    terms.push({ kind: 'not', term: auditRead });
  }
  if (filter.q !== undefined) throw new Error('eventFilterNode: q has no term of the language');
  return allOf([...terms, ...(filter.search ? [filter.search.node] : [])]);
}

/** Escapes LIKE's wildcards so `q` is matched as typed. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE condition of a filtered read of one organization's events. Values are appended to
 * `params` and referenced as `$n`; nothing from the request is ever spliced into the SQL text.
 */
export function eventFilterSql(organizationId: string, filter: EventFilter, params: unknown[], alias = 'a'): string {
  const col = (name: string): string => `${alias}."${name}"`;
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const organization = param(organizationId);
  const conditions = [`${col('organizationId')} = ${organization}`];
  if (filter.from) conditions.push(`${col('createdAt')} >= ${param(filter.from)}`);
  if (filter.to) conditions.push(`${col('createdAt')} < ${param(filter.to)}`);
  if (filter.actionTypes.length === 1) conditions.push(`${col('actionType')} = ${param(filter.actionTypes[0])}`);
  else if (filter.actionTypes.length > 1) conditions.push(`${col('actionType')} = ANY(${param(filter.actionTypes)}::text[])`);
  for (const field of EXACT_FIELDS) {
    const value = filter[field];
    if (value !== undefined) conditions.push(`${col(field)} = ${param(value)}`);
  }
  if (filter.hideAuditReads) conditions.push(`(${col('actionType')} <> 'PAGE_VIEW' OR ${col('pageName')} IS DISTINCT FROM '${AUDIT_READS_PAGE}')`);
  if (filter.q !== undefined) {
    const pattern = param(likePattern(filter.q));
    conditions.push(
      `(${col('pageName')} ILIKE ${pattern} OR ${col('queryName')} ILIKE ${pattern} OR ${col('resourceName')} ILIKE ${pattern} OR ${alias}.metadata->>'query' ILIKE ${pattern})`,
    );
  }
  if (filter.search) conditions.push(compilePostgres(filter.search.node, param, alias, organization));
  return conditions.join(' AND ');
}
