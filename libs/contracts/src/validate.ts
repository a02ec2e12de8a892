import { isIP } from 'node:net';
import { Buffer } from 'node:buffer';
import { ACTION_TYPES, isActionType, type ActionType } from './action-types';
import { describeDuration, describeValue } from './describe';
import { EVENT_FIELDS } from './event-fields';
import { rememberMetadataJson } from './event-json';
import type { AuditEvent, AuditUserSnapshot, EventValidationResult, FieldError, ValidateOptions } from './event';
import { isIsoStringForm, isoStringOf, parseIsoDateTime } from './iso-date';
import { LIMITS } from './limits';
import { findMetadataProblems, metadataJsonMayHoldProblems } from './metadata-walk';
import { findPrototypeKey, jsonMayHoldPrototypeKey } from './prototype-keys';
import { LONE_SURROGATE_REASON, NUL_REASON, isWellFormedText } from './text';
import { isUuid, uuidv7 } from './uuid';

/** Fields an emitter may send. Anything else at the top level is rejected. */
const EMITTER_FIELDS: ReadonlySet<string> = new Set(EVENT_FIELDS.filter((f) => f.setBy === 'emitter').map((f) => f.name));
/** Fields that exist on the event but belong to ingest; reported with their own reason. */
const INGEST_FIELDS: ReadonlySet<string> = new Set(EVENT_FIELDS.filter((f) => f.setBy === 'ingest').map((f) => f.name));
/** The bounded nullable strings (userId and the three names), by name, with their limits. */
type TextField = Extract<(typeof EVENT_FIELDS)[number], { kind: 'text' }>;
const TEXT = Object.fromEntries(EVENT_FIELDS.filter((f): f is TextField => f.kind === 'text').map((f) => [f.name, f])) as {
  readonly [F in TextField as F['name']]: F;
};
const USER_FIELDS: ReadonlySet<string> = new Set(['email', 'userName']);

const SET_BY_INGEST = 'is set by ingest, not by the emitter';

/**
 * The path of an unknown key as errors name it: the key itself, or its JSON-quoted form when the key is
 * empty or is text the answer could not carry (a NUL, a lone surrogate), so every error names something.
 */
function keyPath(key: string): string {
  return key.length > 0 && isWellFormedText(key) && !key.includes('\u0000') ? key : JSON.stringify(key);
}

/**
 * Plain object = `{...}` literal or JSON.parse output. Arrays, Dates, Maps and
 * class instances are excluded because they do not survive JSON round-trips
 * as the same shape.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function requireValidDate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    // Caller bug, not bad input: fail loudly instead of producing a FieldError.
    throw new TypeError(`validateEvent: opts.${name} must be a valid Date`);
  }
  return value;
}

/**
 * Collects every error for one event; the check* methods return the
 * normalised value (meaningless once an error was recorded for that field).
 */
class EventChecker {
  readonly errors: FieldError[] = [];

  constructor(private readonly input: Record<string, unknown>) {}

  /** Own properties only, so nothing leaks in from `Object.prototype`. */
  get(key: string): unknown {
    return Object.hasOwn(this.input, key) ? this.input[key] : undefined;
  }

  fail(path: string, reason: string): void {
    this.errors.push({ path, reason });
  }

  /** The text rule shared by every string field (metadata applies it in its walk). */
  checkText(path: string, value: string): void {
    if (value.includes('\u0000')) this.fail(path, NUL_REASON);
    if (!isWellFormedText(value)) this.fail(path, LONE_SURROGATE_REASON);
  }

  checkSchemaVersion(): void {
    const value = this.get('schemaVersion');
    // Echoing the current version is harmless (e.g. replaying a stored event);
    // any other value would be a claim ingest cannot honour.
    if (value !== undefined && value !== 1) {
      this.fail('schemaVersion', `${SET_BY_INGEST} (only 1 may be echoed, got ${describeValue(value)})`);
    }
  }

  /** Returns the lower-cased id, or `undefined` when ingest must assign one. */
  checkId(): string | undefined {
    const value = this.get('id');
    if (value === undefined) return undefined;
    if (!isUuid(value)) {
      this.fail('id', `must be a UUID in 8-4-4-4-12 hex form (got ${describeValue(value)})`);
      return undefined;
    }
    // One spelling per id, so idempotency (dedup by id) cannot be dodged by case.
    return value.toLowerCase();
  }

  checkOrganizationId(): string {
    const value = this.get('organizationId');
    const pattern = LIMITS.organizationIdPattern;
    if (value === undefined || value === null) {
      this.fail('organizationId', 'is required');
    } else if (typeof value !== 'string') {
      this.fail('organizationId', `must be a string (got ${describeValue(value)})`);
    } else if (!pattern.test(value)) {
      const bad = /[^A-Za-z0-9_-]/.exec(value);
      const detail = value.length === 0
        ? 'got an empty string'
        : bad
          ? `got the character ${JSON.stringify(bad[0])}`
          : `got ${value.length} characters`;
      this.fail('organizationId', `must be 1 to 64 letters, digits, "_" or "-" matching ${String(pattern)} (${detail})`);
    }
    return value as string;
  }

  checkActionType(): ActionType {
    const value = this.get('actionType');
    if (value === undefined || value === null) {
      this.fail('actionType', `is required (one of the ${ACTION_TYPES.length} action types)`);
    } else if (!isActionType(value)) {
      this.fail('actionType', `must be one of the ${ACTION_TYPES.length} action types (got ${describeValue(value)})`);
    }
    return value as ActionType;
  }

  /** Bounded string or null; used for userId and the three names. */
  checkNullableString({ name: key, maxLength, allowEmpty }: TextField): string | null {
    const value = this.get(key);
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') {
      this.fail(key, `must be a string or null (got ${describeValue(value)})`);
      return null;
    }
    if (!allowEmpty && value.length === 0) this.fail(key, 'must not be empty (use null for "none")');
    if (value.length > maxLength) this.fail(key, `must be at most ${maxLength} characters (got ${value.length})`);
    this.checkText(key, value);
    return value;
  }

  checkUser(): AuditUserSnapshot | null {
    const value = this.get('user');
    if (value === undefined || value === null) return null;
    if (!isPlainObject(value)) {
      this.fail('user', `must be an object with email and userName, or null (got ${describeValue(value)})`);
      return null;
    }
    const email = Object.hasOwn(value, 'email') ? value['email'] : undefined;
    if (email === undefined || email === null) {
      this.fail('user.email', 'is required');
    } else if (typeof email !== 'string') {
      this.fail('user.email', `must be a string (got ${describeValue(email)})`);
    } else if (email.length === 0) {
      this.fail('user.email', 'must not be empty');
    } else {
      if (email.length > LIMITS.maxEmailLength) {
        this.fail('user.email', `must be at most ${LIMITS.maxEmailLength} characters (got ${email.length})`);
      }
      // Deliberately loose: the snapshot is a display/join aid, not a mailbox
      // we send to, and strict e-mail grammars reject real addresses.
      if (!email.includes('@')) this.fail('user.email', `must contain "@" (got ${describeValue(email)})`);
      this.checkText('user.email', email);
    }
    const userName = Object.hasOwn(value, 'userName') ? value['userName'] : undefined;
    if (userName === undefined || userName === null) {
      this.fail('user.userName', 'is required');
    } else if (typeof userName !== 'string') {
      this.fail('user.userName', `must be a string (got ${describeValue(userName)})`);
    } else {
      if (userName.length > LIMITS.maxUserNameLength) {
        this.fail('user.userName', `must be at most ${LIMITS.maxUserNameLength} characters (got ${userName.length})`);
      }
      this.checkText('user.userName', userName);
    }
    for (const key of Object.keys(value)) {
      if (!USER_FIELDS.has(key)) this.fail(`user.${keyPath(key)}`, 'is not a field of the user snapshot (only email and userName)');
    }
    // Fresh object: the event must not alias (or carry extra keys of) the input.
    return { email: email as string, userName: userName as string };
  }

  checkIpAddress(): string | null {
    const value = this.get('ipAddress');
    if (value === undefined || value === null) return null;
    // Stored as given (no canonicalisation): the audit trail records what the
    // emitter observed, and isIP already guarantees it parses.
    if (typeof value !== 'string' || isIP(value) === 0) {
      this.fail('ipAddress', `must be a valid IPv4 or IPv6 address (got ${describeValue(value)})`);
      return null;
    }
    return value;
  }

  checkResponseTimeMs(): number | null {
    const value = this.get('responseTimeMs');
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail('responseTimeMs', `must be a finite number or null (got ${describeValue(value)})`);
    } else if (!Number.isInteger(value)) {
      this.fail('responseTimeMs', `must be a whole number of milliseconds (got ${value})`);
    } else if (value < 0) {
      this.fail('responseTimeMs', `must be at least 0 (got ${value})`);
    } else if (value > LIMITS.maxResponseTimeMs) {
      this.fail('responseTimeMs', `must be at most ${LIMITS.maxResponseTimeMs} (got ${value})`);
    }
    return value as number;
  }

  checkMetadata(): Record<string, unknown> {
    const value = this.get('metadata');
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      this.fail('metadata', `must be a JSON object (got ${describeValue(value)})`);
      return {};
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      // V8 serialises recursively and gives up near 5,000 levels: that input
      // is too deep, and the walk (no recursion) says where.
      const problems = error instanceof RangeError ? findMetadataProblems(value, LIMITS.maxMetadataDepth) : [];
      if (problems.length === 0) problems.push('must be JSON-serialisable (no circular references or BigInt values)');
      for (const reason of problems) this.fail('metadata', reason);
      return {};
    }
    // The limit is on what goes over the wire and into the row, hence bytes
    // of the serialised form, not characters or keys. UTF-8 takes at most 3
    // bytes per UTF-16 unit, so short text (nearly every event) needs no count.
    if (json !== undefined && json.length * 3 > LIMITS.maxMetadataBytes) {
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > LIMITS.maxMetadataBytes) {
        this.fail('metadata', `must serialise to at most ${LIMITS.maxMetadataBytes} bytes of JSON (got ${bytes})`);
        return {};
      }
    }
    // Re-parse instead of copying: the event then holds exactly what will be
    // stored (Dates as strings, undefined dropped), shares nothing with the
    // input, and a toJSON trick that turns it into a non-object is caught.
    const copy: unknown = json === undefined ? undefined : JSON.parse(json);
    if (!isPlainObject(copy)) {
      this.fail('metadata', `must be a JSON object (serialises to ${describeValue(copy)})`);
      return {};
    }
    // Checked on the copy, i.e. on what will be stored (a toJSON may produce
    // text the input does not hold); the copy is a tree of at most 32 KiB.
    // Its text is that of the copy, and tells when the walk would find nothing.
    if (metadataJsonMayHoldProblems(json as string, LIMITS.maxMetadataDepth)) {
      const problems = findMetadataProblems(copy, LIMITS.maxMetadataDepth);
      if (problems.length > 0) {
        for (const reason of problems) this.fail('metadata', reason);
        return {};
      }
    }
    // The rule the HTTP edge applies to whole bodies, here for events that reach validation another way
    // (the bus): the same event must not be stored by one door and refused by the other.
    if (jsonMayHoldPrototypeKey(json as string)) {
      const found = findPrototypeKey(copy, 'metadata');
      if (found !== undefined) {
        this.fail(found.path, found.reason);
        return {};
      }
    }
    // The copy serialises to `json` again (parse then stringify of stringify's output is the identity).
    rememberMetadataJson(copy, json as string);
    return copy;
  }

  /** Returns createdAt as `toISOString()` writes it. */
  checkCreatedAt(now: Date): string {
    const value = this.get('createdAt');
    if (value === undefined) return isoStringOf(now.getTime());
    let ms: number | null;
    if (typeof value === 'string') {
      ms = parseIsoDateTime(value);
      if (ms === null) {
        this.fail(
          'createdAt',
          `must be an ISO-8601 date-time with timezone, e.g. "2026-01-02T03:04:05Z" (got ${describeValue(value)})`,
        );
        return '';
      }
    } else if (value instanceof Date) {
      ms = value.getTime();
      if (Number.isNaN(ms)) {
        this.fail('createdAt', 'must be a valid Date (got an invalid Date)');
        return '';
      }
    } else {
      this.fail('createdAt', `must be an ISO-8601 date-time string or a Date (got ${describeValue(value)})`);
      return '';
    }
    // Late delivery of old events is normal (offline emitters, retries), but
    // not before the floor: ClickHouse's DateTime and the analytics day
    // buckets cannot place earlier instants, and Postgres refuses year 0.
    if (ms < LIMITS.minCreatedAtMs) {
      this.fail(
        'createdAt',
        `must be at or after ${new Date(LIMITS.minCreatedAtMs).toISOString()}, the earliest time every store can hold ` +
          `(got ${new Date(ms).toISOString()})`,
      );
      return '';
    }
    // A far-future timestamp would sort above everything and hide newer events.
    const latest = now.getTime() + LIMITS.maxFutureSkewMs;
    if (ms > latest) {
      this.fail(
        'createdAt',
        `must be at most ${describeDuration(LIMITS.maxFutureSkewMs)} in the future ` +
          `(got ${new Date(ms).toISOString()}, latest allowed ${new Date(latest).toISOString()})`,
      );
    }
    // Most emitters send what toISOString() writes: that text is the canonical form itself.
    return typeof value === 'string' && isIsoStringForm(value) ? value : new Date(ms).toISOString();
  }

  checkReceivedAt(): void {
    if (this.get('receivedAt') !== undefined) this.fail('receivedAt', SET_BY_INGEST);
  }

  checkUnknownFields(): void {
    for (const key of Object.keys(this.input)) {
      if (!EMITTER_FIELDS.has(key) && !INGEST_FIELDS.has(key)) this.fail(keyPath(key), 'is not a field of the event schema');
    }
  }
}

/**
 * Validates what an emitter sent and turns it into a canonical
 * {@link AuditEvent} (schema version 1).
 *
 * Every problem is reported, not just the first, so an emitter can fix its
 * payload in one round trip. Errors come in event-field order, then unknown
 * fields in input order. On success the event is a fresh object (nothing is
 * shared with `input`) with keys in {@link AuditEvent} order, `id` lower-cased
 * or assigned as a UUIDv7 of `opts.now`, `createdAt` defaulted to `opts.now`
 * and normalised with `toISOString()`, and `receivedAt` set from
 * `opts.receivedAt ?? opts.now`.
 *
 * @throws TypeError if `opts.now` (or a given `opts.receivedAt`) is not a valid Date.
 */
export function validateEvent(input: unknown, opts: ValidateOptions): EventValidationResult {
  const now = requireValidDate(opts.now, 'now');
  const receivedAt = opts.receivedAt === undefined ? now : requireValidDate(opts.receivedAt, 'receivedAt');

  if (!isPlainObject(input)) {
    return { ok: false, errors: [{ path: '$', reason: `must be a JSON object (got ${describeValue(input)})` }] };
  }

  const c = new EventChecker(input);
  c.checkSchemaVersion();
  const id = c.checkId();
  const organizationId = c.checkOrganizationId();
  const actionType = c.checkActionType();
  const userId = c.checkNullableString(TEXT.userId);
  const user = c.checkUser();
  const ipAddress = c.checkIpAddress();
  const responseTimeMs = c.checkResponseTimeMs();
  const pageName = c.checkNullableString(TEXT.pageName);
  const queryName = c.checkNullableString(TEXT.queryName);
  const resourceName = c.checkNullableString(TEXT.resourceName);
  const metadata = c.checkMetadata();
  const createdAt = c.checkCreatedAt(now);
  c.checkReceivedAt();
  c.checkUnknownFields();

  if (c.errors.length > 0) return { ok: false, errors: c.errors };

  const event: AuditEvent = {
    schemaVersion: 1,
    // Minted only for valid events so rejected input does not consume ids.
    id: id ?? uuidv7(now),
    organizationId,
    actionType,
    userId,
    user,
    ipAddress,
    responseTimeMs,
    pageName,
    queryName,
    resourceName,
    metadata,
    createdAt,
    receivedAt: isoStringOf(receivedAt.getTime()),
  };
  return { ok: true, event };
}
