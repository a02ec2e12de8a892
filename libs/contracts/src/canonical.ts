import { isIP } from 'node:net';
import { isActionType } from './action-types';
import { EVENT_FIELDS } from './event-fields';
import type { AuditEvent } from './event';
import { rememberMetadataJson } from './event-json';
import { LIMITS } from './limits';
import { findMetadataProblems, metadataJsonMayHoldProblems } from './metadata-walk';
import { findPrototypeKey, jsonMayHoldPrototypeKey } from './prototype-keys';
import { isWellFormedText } from './text';

/** Every field of the canonical event: ingest writes each one, `null` included. */
const FIELDS: ReadonlySet<string> = new Set(EVENT_FIELDS.map((f) => f.name));
const FIELD_COUNT = FIELDS.size;
type TextField = Extract<(typeof EVENT_FIELDS)[number], { kind: 'text' }>;
/** The bounded nullable strings (userId and the three names) with their limits, as validation reads them. */
const TEXT_FIELDS: readonly TextField[] = EVENT_FIELDS.filter((f): f is TextField => f.kind === 'text');
/** A UUID as validation writes it: lower case. */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The shape of `toISOString()` for the years every store can hold (1970 to 9999). */
const CANONICAL_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The event `value` is, when it is exactly what {@link validateEvent} produces for its own fields judged at
 * its own `receivedAt` (ingest's output: every field present, `null` for none, a lower-case id, dates as
 * `toISOString()` writes them, every limit of the contract met); otherwise `undefined`, and nothing is said
 * about why.
 *
 * For consumers that re-check what arrives from the bus: parsed JSON of a canonical event is returned as
 * it is, without the copies and the error bookkeeping that validation of an emitter's input needs (a
 * fifth of the CPU). `value` must be fresh output of `JSON.parse` that nothing else holds (its metadata
 * becomes the event's). A caller that gets `undefined` runs the full validation to learn the reasons.
 * A property test holds this function to validation: whatever it accepts, validation accepts as the same
 * event.
 *
 * `keepMetadataJson` (default true) keeps the metadata's JSON text, serialised for the size check, for
 * `metadataJson` (the stores write it). A consumer that never serialises the metadata again (the
 * streams forward the bus text) passes false: the WeakMap entry costs more than the text saves, about
 * 10 µs per event, most of it in the garbage collector's pass over the weak entries.
 */
export function canonicalEventOf(value: unknown, keepMetadataJson = true): AuditEvent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const e = value as Record<string, unknown>;
  let count = 0;
  for (const key in e) {
    if (!Object.hasOwn(e, key) || !FIELDS.has(key)) return undefined;
    count++;
  }
  if (count !== FIELD_COUNT) return undefined;
  // Any Object.prototype trickery (a `__proto__` key) is left to full validation.
  if (Object.getPrototypeOf(e) !== Object.prototype) return undefined;

  const receivedAtMs = canonicalInstantMs(e['receivedAt']);
  const createdAtMs = canonicalInstantMs(e['createdAt']);
  if (receivedAtMs === undefined || createdAtMs === undefined) return undefined;
  if (createdAtMs < LIMITS.minCreatedAtMs || createdAtMs > receivedAtMs + LIMITS.maxFutureSkewMs) return undefined;

  if (e['schemaVersion'] !== 1) return undefined;
  if (typeof e['id'] !== 'string' || !CANONICAL_UUID.test(e['id'])) return undefined;
  const organizationId = e['organizationId'];
  if (typeof organizationId !== 'string' || !LIMITS.organizationIdPattern.test(organizationId)) return undefined;
  if (!isActionType(e['actionType'])) return undefined;
  if (!user(e['user'])) return undefined;
  const ip = e['ipAddress'];
  if (ip !== null && (typeof ip !== 'string' || isIP(ip) === 0)) return undefined;
  const rt = e['responseTimeMs'];
  if (rt !== null && (typeof rt !== 'number' || !Number.isInteger(rt) || rt < 0 || rt > LIMITS.maxResponseTimeMs)) return undefined;
  for (const field of TEXT_FIELDS) if (!nullableText(e[field.name], field.maxLength, field.allowEmpty)) return undefined;
  if (!metadata(e['metadata'], keepMetadataJson)) return undefined;
  return e as unknown as AuditEvent;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch ms of a string exactly as `toISOString()` writes it (so no calendar roll-over), else undefined.
 * The fields are read digit by digit and range-checked by hand rather than by a round trip through
 * `toISOString()` (a Date and a string per instant, two instants per event on every consumer), and the
 * instant is `Date.UTC` of them: slicing out each field, `Number` of each slice and `Date.parse` of the
 * whole were a third of this function's caller. The property spec holds it equal to `Date.parse`.
 *
 * The last instant read is remembered: an event's `createdAt` is its `receivedAt` unless the emitter set one
 * (ingest stamps both with one clock reading), and a consumer reads `receivedAt` twice (the re-check, then
 * the skew against the bus's stored time), so most of the three reads per event find the text just read.
 */
export function canonicalInstantMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === lastInstant.text) return lastInstant.ms;
  const ms = readCanonicalInstant(value);
  if (ms !== undefined) {
    lastInstant.text = value;
    lastInstant.ms = ms;
  }
  return ms;
}

/** The last instant {@link canonicalInstantMs} read (a string compared by value: equal texts name one instant). */
const lastInstant: { text: string | undefined; ms: number } = { text: undefined, ms: 0 };

function readCanonicalInstant(value: string): number | undefined {
  if (!CANONICAL_INSTANT.test(value)) return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  // Any four-digit year: `receivedAt` is ingest's clock, which validation takes as any instant (createdAt's
  // floor is checked by the caller), so refusing years before 1970 here sent such events the slow way.
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1] + (month === 2 && leap ? 1 : 0)) return undefined;
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC reads years 0 to 99 as 1900 to 1999; such instants are left to Date.parse, which does not.
  if (year < 100) return Date.parse(value);
  return Date.UTC(year, month - 1, day, hour, minute, second, digits(value, 20, 3));
}

/** The number the `length` ASCII digits at `at` write (the caller's pattern has made sure they are digits). */
function digits(value: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) n = n * 10 + value.charCodeAt(i) - 48;
  return n;
}

function text(value: string): boolean {
  return !value.includes('\u0000') && isWellFormedText(value);
}

function nullableText(value: unknown, maxLength: number, allowEmpty: boolean): boolean {
  if (value === null) return true;
  if (typeof value !== 'string' || value.length > maxLength || (!allowEmpty && value.length === 0)) return false;
  return text(value);
}

function user(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object' || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const u = value as Record<string, unknown>;
  if (Object.keys(u).length !== 2) return false;
  const { email, userName } = u;
  if (typeof email !== 'string' || email.length === 0 || email.length > LIMITS.maxEmailLength || !email.includes('@') || !text(email)) return false;
  return typeof userName === 'string' && userName.length <= LIMITS.maxUserNameLength && text(userName);
}

function metadata(value: unknown, keepJson: boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return false;
  }
  // Bytes of the serialised form, as validation counts them; a string's UTF-8 is at most 3 bytes per unit.
  if (json.length * 3 > LIMITS.maxMetadataBytes && Buffer.byteLength(json, 'utf8') > LIMITS.maxMetadataBytes) return false;
  const depth = LIMITS.maxMetadataDepth;
  if (metadataJsonMayHoldProblems(json, depth) && findMetadataProblems(value, depth).length > 0) return false;
  if (jsonMayHoldPrototypeKey(json) && findPrototypeKey(value, 'metadata') !== undefined) return false;
  if (keepJson) rememberMetadataJson(value, json);
  return true;
}
