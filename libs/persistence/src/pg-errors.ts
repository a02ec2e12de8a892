/**
 * Sorts Postgres driver errors: connection-level and contention failures pass with time;
 * data and constraint errors never will. Everything else is left to bounded retries. pg's own
 * `Query read timeout` (PG_QUERY_TIMEOUT_MS: no answer, as across a network partition) passes with time too.
 */
export function pgFailureKind(error: unknown): 'transient' | 'permanent' | 'unknown' {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (/^(08|40|53|57|58)/.test(code)) return 'transient';
    if (/^(22|23)/.test(code)) return 'permanent';
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return 'transient';
  }
  if (typeof message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|Query read timeout/i.test(message)) {
    return 'transient';
  }
  return 'unknown';
}
