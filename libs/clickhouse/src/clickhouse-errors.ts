/**
 * Sorts ClickHouse failures for the consumer: the server or the connection being away passes with time;
 * a row the server cannot parse never will.
 */
export function clickHouseFailureKind(error: unknown): 'transient' | 'permanent' | 'unknown' {
  const { code, message, type } = (error ?? {}) as { code?: unknown; message?: unknown; type?: unknown };
  // The client puts ClickHouse's error name (CANNOT_PARSE_NUMBER…) in `type`, not always in the message.
  const text = `${typeof type === 'string' ? type : ''} ${typeof message === 'string' ? message : ''}`;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return 'transient';
  if (/socket hang up|Timeout error|ECONNREFUSED|TOO_MANY_SIMULTANEOUS_QUERIES|MEMORY_LIMIT_EXCEEDED|TABLE_IS_READ_ONLY/i.test(text)) return 'transient';
  if (/CANNOT_PARSE|CANNOT_READ|INCORRECT_DATA|TYPE_MISMATCH|Cannot parse/i.test(text)) return 'permanent';
  return 'unknown';
}
