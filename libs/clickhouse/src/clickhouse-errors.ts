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
  // A replicated INSERT whose quorum was not reached (a replica down or slow, Keeper away) is rolled
  // back on every replica; it succeeds once the replicas are back.
  if (/TOO_FEW_LIVE_REPLICAS|UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE|UNKNOWN_STATUS_OF_INSERT|KEEPER_EXCEPTION|NO_ZOOKEEPER|ALL_REPLICAS_LOST|REPLICA_IS_NOT_IN_QUORUM/i.test(text)) return 'transient';
  if (/CANNOT_PARSE|CANNOT_READ|INCORRECT_DATA|TYPE_MISMATCH|Cannot parse/i.test(text)) return 'permanent';
  return 'unknown';
}
