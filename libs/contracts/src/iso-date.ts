// ISO-8601 / RFC 3339 date-time with a mandatory timezone. A timezone is
// required because a zone-less "2026-01-02T03:04:05" would be read in the
// ingest host's local time, silently shifting events by hours. Date-only
// strings are rejected because they carry no time of the action.
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Proleptic Gregorian month length; `month` is 1-based. */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Parses an ISO-8601 date-time with timezone (`2026-01-02T03:04:05Z`,
 * `2026-01-02T03:04:05.123+02:00`, `2026-01-02T03:04Z`) into epoch
 * milliseconds, or returns `null`.
 *
 * Calendar fields are range-checked explicitly because `Date.parse` rolls
 * `2026-02-30` over into March and accepts hour `24`; an audit timestamp that
 * silently moves is worse than a rejected one. Fractions beyond milliseconds
 * are truncated, matching `toISOString()` precision.
 */
export function parseIsoDateTime(text: string): number | null {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;

  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const ms = utcMs(year, month, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return Number.isFinite(ms) ? ms : null;
}

function utcMs(year: number, month: number, day: number, hour: number, minute: number, second: number, millis: number): number {
  if (year >= 100) return Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear avoids that.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year);
  return date.getTime();
}

/**
 * Whether `text`, which {@link parseIsoDateTime} accepted, is already written as `toISOString()` writes
 * that instant (`2026-01-02T03:04:05.678Z`, what most emitters send), so it can stand for it unchanged.
 * The fields of accepted text are in range, and at 24 characters ending in `Z` the pattern leaves one
 * form: a 4-digit year, seconds and 3 fraction digits.
 */
export function isIsoStringForm(text: string): boolean {
  return text.length === 24 && text.charCodeAt(23) === 0x5a; // "Z"
}

let lastFormattedMs = Number.NaN;
let lastFormatted = '';

/**
 * `new Date(ms).toISOString()`, remembering the last answer: every event of a batch is stamped with the
 * same `receivedAt`, and formatting a date costs about a tenth of validating an event.
 */
export function isoStringOf(ms: number): string {
  if (ms !== lastFormattedMs) {
    lastFormatted = new Date(ms).toISOString();
    lastFormattedMs = ms;
  }
  return lastFormatted;
}
