import { isActionType, type ActionType } from '@audit/contracts';
import type { QueryReader } from '@audit/platform';

/** The filters of `GET /v1/events`, shared by the export jobs so an export holds exactly what the view showed. */
export const EVENT_FILTER_PARAMS = ['from', 'to', 'actionType', 'userId', 'pageName', 'queryName', 'resourceName', 'ipAddress', 'q', 'hideAuditReads'] as const;

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
}

type ExactField = 'userId' | 'pageName' | 'queryName' | 'resourceName' | 'ipAddress';
const EXACT_FIELDS: readonly ExactField[] = ['userId', 'pageName', 'queryName', 'resourceName', 'ipAddress'];

/** The page name of administrators' reads of the audit trail (console and API), which hideAuditReads leaves out. */
export const AUDIT_READS_PAGE = 'audit';

/** Reads the filter parameters; problems are collected by the reader and thrown by its `done()`. */
export function readEventFilter(reader: QueryReader): EventFilter {
  const { from, to } = reader.bounds();
  return { from, to, ...readEventNarrowing(reader) };
}

/** The filter parameters but the time bounds (which analytics read as a bounded window instead). */
export function readEventNarrowing(reader: QueryReader): Omit<EventFilter, 'from' | 'to'> {
  const filter: Omit<EventFilter, 'from' | 'to'> = { actionTypes: reader.actionTypes() };
  for (const field of EXACT_FIELDS) {
    const value = reader.text(field);
    if (value !== undefined) filter[field] = value;
  }
  if (reader.oneOf('hideAuditReads', ['true', 'false'] as const, 'false') === 'true') filter.hideAuditReads = true;
  const q = reader.text('q', 256);
  if (q !== undefined) filter.q = q;
  return filter;
}

/** The filter as stored with an export job (dates as ISO strings, absent fields left out). */
export function eventFilterToJson(filter: EventFilter): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (filter.from) json.from = filter.from.toISOString();
  if (filter.to) json.to = filter.to.toISOString();
  if (filter.actionTypes.length > 0) json.actionType = [...filter.actionTypes];
  for (const field of [...EXACT_FIELDS, 'q'] as const) if (filter[field] !== undefined) json[field] = filter[field];
  if (filter.hideAuditReads) json.hideAuditReads = true;
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
  return filter;
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
  const conditions = [`${col('organizationId')} = ${param(organizationId)}`];
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
  return conditions.join(' AND ');
}
