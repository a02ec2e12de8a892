/**
 * Helpers that build the human-readable part of validation errors. Internal to
 * the lib (not exported from index.ts).
 */

// Echoing a 1 MB string back in an error would make the error the problem, so
// quoted values are cut short.
const MAX_ECHO_CHARS = 64;

/** Short description of a value for "(got ...)" suffixes, e.g. `"QUERY_RUNS"`, `42`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const cut = value.length > MAX_ECHO_CHARS ? value.slice(0, MAX_ECHO_CHARS) + '…' : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${String(value)}n`;
  if (value instanceof Date) return 'a Date';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Renders a millisecond duration the way people say it: 300000 → `5 minutes`. */
export function describeDuration(ms: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms % 3_600_000 === 0) return unit(ms / 3_600_000, 'hour');
  if (ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  if (ms % 1_000 === 0) return unit(ms / 1_000, 'second');
  return unit(ms, 'millisecond');
}
