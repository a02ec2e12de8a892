/** Display formatting shared by the table, the detail panel and the charts (the viewer's locale, the chosen zone). */

/** The zone times are shown in: the browser's own, or UTC (the zone of the API, exports and SQL). */
export type DisplayZone = 'local' | 'utc';

const ZONE_KEY = 'audit.console.zone';
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

function readZone(): DisplayZone {
  try {
    return localStorage.getItem(ZONE_KEY) === 'utc' ? 'utc' : 'local';
  } catch {
    return 'local';
  }
}

let zone: DisplayZone = readZone();

/** Formats in the display zone; rebuilt when it changes (Intl formats are costly to make, cheap to reuse). */
export const zoned = (options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat =>
  new Intl.DateTimeFormat(undefined, zone === 'utc' ? { ...options, timeZone: 'UTC' } : options);

let dateTime = zoned({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
let dateTimeWithYear = zoned({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function displayZone(): DisplayZone {
  return zone;
}

/** Switches the zone of every time shown from now on, and remembers it in this browser. */
export function setDisplayZone(next: DisplayZone): void {
  zone = next;
  dateTime = zoned({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  dateTimeWithYear = zoned({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  try {
    localStorage.setItem(ZONE_KEY, next);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

/** The zone's name as the page states it: `UTC`, or the browser's own (`Europe/Paris`, UTC+1). */
export function zoneName(which: DisplayZone = zone): string {
  if (which === 'utc') return 'UTC';
  const name = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = -new Date().getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const hm = `${Math.floor(Math.abs(offset) / 60)}${Math.abs(offset) % 60 ? `:${String(Math.abs(offset) % 60).padStart(2, '0')}` : ''}`;
  if (offset === 0) return name ?? 'UTC';
  return `${name ?? 'local'} (UTC${sign}${hm})`;
}

/** Minutes to add to UTC for wall-clock time in the display zone at `t` (for chart labels). */
export function zoneOffsetMs(t: number): number {
  return zone === 'utc' ? 0 : -new Date(t).getTimezoneOffset() * 60_000;
}

/** `Nov 29, 14:03:22` in the display zone (with the year when it is not this year's). */
export function localTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const year = (d: Date) => (zone === 'utc' ? d.getUTCFullYear() : d.getFullYear());
  return (year(date) === year(now) ? dateTime : dateTimeWithYear).format(date);
}

/** The exact UTC instant, for hover titles: `2026-11-29 14:03:22.123 UTC`. */
export function utcInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

export function formatCount(n: number): string {
  return integer.format(n);
}

/** `830 ms`, `1.24 s`, `2 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `532 B`, `1.5 KB`, `12.3 MB` (decimal units, as download sizes are usually shown). */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** `YYYY-MM-DDTHH:mm` in local time, the value format of `<input type="datetime-local">`. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The inverse of {@link toLocalInput}: a local wall-clock value to an ISO instant ('' when empty or invalid). */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** Pretty JSON for the detail panel; strings stay as they are. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? '';
}
