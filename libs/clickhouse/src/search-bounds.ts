import { AppError, type EnvReader } from '@audit/platform';

/**
 * How much one search may cost ClickHouse: the events API's pages and every analytics statement that reads
 * the raw events (a search, a filter the rollups cannot answer, minute buckets, response times). Past
 * either bound ClickHouse stops the statement and the caller answers with advice to narrow it, never with
 * an unbounded scan.
 */
export interface SearchBounds {
  /** The most rows of ClickHouse one statement may read (`SEARCH_MAX_ROWS`); past it 400. */
  searchMaxRows: number;
  /** The longest one statement may run in ClickHouse (`SEARCH_TIMEOUT`); past it 504. */
  searchTimeoutMs: number;
}

/** `SEARCH_MAX_ROWS` and `SEARCH_TIMEOUT`, for the config section of each service that searches. */
export function readSearchBounds(env: EnvReader): SearchBounds {
  return {
    searchMaxRows: env.int('SEARCH_MAX_ROWS', 200_000_000, { min: 1 }),
    searchTimeoutMs: env.timer('SEARCH_TIMEOUT', '15s'),
  };
}

/**
 * The bounds as a statement's own settings (`SETTINGS …` text to append; numbers only): chDB would keep
 * settings passed beside the statement for every later query of the process.
 */
export function searchBoundsSettings(bounds: SearchBounds): string {
  return `max_rows_to_read = ${Math.floor(bounds.searchMaxRows)}, read_overflow_mode = 'throw', max_execution_time = ${Math.max(1, Math.ceil(bounds.searchTimeoutMs / 1000))}, timeout_overflow_mode = 'throw'`;
}

/** How a refusal reads: the field its 400 names, what it calls the refused read, and how to narrow it. */
export interface SearchRefusal {
  field: string;
  subject: string;
  advice: string;
}

const SEARCH_REFUSAL: SearchRefusal = { field: 'search', subject: 'this search', advice: 'narrow it with created: (a shorter window), action: or user:' };

/**
 * ClickHouse's refusal of a statement past its bounds as the answer that tells the caller what to do
 * (400 naming the refusal's field, or 504 with code QUERY_TIMEOUT); undefined for any other failure.
 */
export function searchLimitError(error: unknown, bounds: SearchBounds, refusal: SearchRefusal = SEARCH_REFUSAL): AppError | undefined {
  const { type, message } = (error ?? {}) as { type?: unknown; message?: unknown };
  const text = `${typeof type === 'string' ? type : ''} ${typeof message === 'string' ? message : ''}`;
  if (/TOO_MANY_ROWS|Limit for rows/i.test(text)) {
    const reason = `${refusal.subject} would read more than ${bounds.searchMaxRows} events (SEARCH_MAX_ROWS): ${refusal.advice}`;
    return new AppError('BAD_REQUEST', reason, [{ path: refusal.field, reason }]);
  }
  if (/TIMEOUT_EXCEEDED|Timeout exceeded/i.test(text)) {
    return new AppError('QUERY_TIMEOUT', `${refusal.subject} ran longer than ${bounds.searchTimeoutMs} ms (SEARCH_TIMEOUT) and was stopped: ${refusal.advice}`);
  }
  return undefined;
}
