import { ACTION_TYPES } from './action-types';
import type { AuditEvent, FieldError } from './event';
import { LIMITS } from './limits';
import { isWellFormedText } from './text';
import { validateEvent } from './validate';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const OPTS = { now: NOW };
const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Smallest valid input, plus overrides. */
function input(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { organizationId: 'org_1', actionType: 'QUERY_RUN', ...overrides };
}

function accept(value: unknown, opts: { now: Date; receivedAt?: Date } = OPTS): AuditEvent {
  const result = validateEvent(value, opts);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.event;
}

function reject(value: unknown, opts: { now: Date; receivedAt?: Date } = OPTS): FieldError[] {
  const result = validateEvent(value, opts);
  if (result.ok) throw new Error(`expected errors, got event ${JSON.stringify(result.event)}`);
  expect(result.errors.length).toBeGreaterThan(0);
  return result.errors;
}

/** Rejects with exactly one error, at `path`; returns its reason. */
function rejectOne(value: unknown, path: string): string {
  const errors = reject(value);
  expect(errors.map((e) => e.path)).toEqual([path]);
  return errors[0].reason;
}

/** A JSON object whose JSON.stringify is exactly `bytes` UTF-8 bytes, padded with `char`. */
function metadataOfBytes(bytes: number, char = 'a'): Record<string, unknown> {
  const overhead = Buffer.byteLength(JSON.stringify({ p: '' }), 'utf8');
  const charBytes = Buffer.byteLength(char, 'utf8');
  const room = bytes - overhead;
  const pad = char.repeat(Math.floor(room / charBytes)) + 'a'.repeat(room % charBytes);
  const meta = { p: pad };
  expect(Buffer.byteLength(JSON.stringify(meta), 'utf8')).toBe(bytes);
  return meta;
}

describe('validateEvent: accepted input', () => {
  it.each([...ACTION_TYPES])('accepts action type %s', (actionType) => {
    expect(accept(input({ actionType })).actionType).toBe(actionType);
  });

  it('fills defaults for a minimal input, keys in AuditEvent order', () => {
    const event = accept(input());
    expect(Object.keys(event)).toEqual([
      'schemaVersion', 'id', 'organizationId', 'actionType', 'userId', 'user', 'ipAddress', 'responseTimeMs',
      'pageName', 'queryName', 'resourceName', 'metadata', 'createdAt', 'receivedAt',
    ]);
    expect(event).toEqual({
      schemaVersion: 1,
      id: expect.stringMatching(V7),
      organizationId: 'org_1',
      actionType: 'QUERY_RUN',
      userId: null,
      user: null,
      ipAddress: null,
      responseTimeMs: null,
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: {},
      createdAt: '2026-03-01T12:00:00.000Z',
      receivedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it('keeps every field of a full input', () => {
    const event = accept({
      id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      organizationId: 'Acme-Corp_42',
      actionType: 'QUERY_RUN',
      userId: 'u-17',
      user: { email: 'ada@example.com', userName: 'Ada' },
      ipAddress: '203.0.113.9',
      responseTimeMs: 42,
      pageName: 'Orders',
      queryName: 'getOrders',
      resourceName: 'prod-db',
      metadata: { query: 'select 1', parameters: [1, 'x'], headers: { a: 'b' } },
      createdAt: '2026-03-01T11:59:00.000Z',
    });
    expect(event).toEqual({
      schemaVersion: 1,
      id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      organizationId: 'Acme-Corp_42',
      actionType: 'QUERY_RUN',
      userId: 'u-17',
      user: { email: 'ada@example.com', userName: 'Ada' },
      ipAddress: '203.0.113.9',
      responseTimeMs: 42,
      pageName: 'Orders',
      queryName: 'getOrders',
      resourceName: 'prod-db',
      metadata: { query: 'select 1', parameters: [1, 'x'], headers: { a: 'b' } },
      createdAt: '2026-03-01T11:59:00.000Z',
      receivedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it('maps explicit nulls of optional fields to null', () => {
    const event = accept(
      input({ userId: null, user: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null }),
    );
    expect([event.userId, event.user, event.ipAddress, event.responseTimeMs, event.pageName, event.queryName, event.resourceName])
      .toEqual([null, null, null, null, null, null, null]);
  });

  it('returns a fresh object that shares nothing with the input', () => {
    const user = { email: 'a@b.c', userName: 'A' };
    const metadata = { nested: { list: [1, 2] } };
    const raw = input({ user, metadata });
    const event = accept(raw);
    expect(event).not.toBe(raw);
    expect(event.user).toEqual(user);
    expect(event.user).not.toBe(user);
    expect(event.metadata).toEqual(metadata);
    expect(event.metadata).not.toBe(metadata);
    metadata.nested.list.push(3);
    expect(event.metadata).toEqual({ nested: { list: [1, 2] } });
  });

  it('stores metadata as its JSON form (Date to string, undefined dropped)', () => {
    const event = accept(input({ metadata: { at: new Date('2026-01-01T00:00:00Z'), gone: undefined, n: 1 } }));
    expect(event.metadata).toEqual({ at: '2026-01-01T00:00:00.000Z', n: 1 });
    expect('gone' in event.metadata).toBe(false);
  });

  it('accepts objects with a null prototype (e.g. from some parsers)', () => {
    const raw = Object.assign(Object.create(null) as Record<string, unknown>, input());
    expect(accept(raw).organizationId).toBe('org_1');
  });

  it('accepts schemaVersion 1 (an echoed stored event)', () => {
    expect(accept(input({ schemaVersion: 1 })).schemaVersion).toBe(1);
  });

  it('ignores undefined-valued keys like absent ones', () => {
    expect(accept(input({ userId: undefined, metadata: undefined, createdAt: undefined })).metadata).toEqual({});
  });
});

describe('validateEvent: id', () => {
  it('assigns a UUIDv7 carrying `now` when absent', () => {
    const event = accept(input());
    expect(event.id).toMatch(V7);
    expect(parseInt(event.id.replace(/-/g, '').slice(0, 12), 16)).toBe(NOW.getTime());
  });

  it('assigns distinct, increasing ids to successive events', () => {
    const a = accept(input()).id;
    const b = accept(input()).id;
    expect(b > a).toBe(true);
  });

  it('keeps an emitter id, lower-cased', () => {
    expect(accept(input({ id: '3F2504E0-4F89-41D3-9A0C-0305E82C3301' })).id).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301');
  });

  it.each([
    ['not a uuid', 'abc'],
    ['no dashes', '3f2504e04f8941d39a0c0305e82c3301'],
    ['a number', 7],
    ['null', null],
  ])('rejects %s', (_label, id) => {
    expect(rejectOne(input({ id }), 'id')).toMatch(/^must be a UUID/);
  });
});

describe('validateEvent: organizationId', () => {
  it('accepts exactly 64 characters', () => {
    const id = 'a'.repeat(64);
    expect(accept(input({ organizationId: id })).organizationId).toBe(id);
  });

  it('rejects 65 characters, saying how many', () => {
    expect(rejectOne(input({ organizationId: 'a'.repeat(65) }), 'organizationId')).toContain('got 65 characters');
  });

  it.each(['acme.corp', 'acme corp', 'acme*', 'acme>', 'orgé', 'a/b'])('rejects bad character in %j', (organizationId) => {
    expect(rejectOne(input({ organizationId }), 'organizationId')).toMatch(/must be 1 to 64 letters.*got the character/);
  });

  it('rejects an empty string', () => {
    expect(rejectOne(input({ organizationId: '' }), 'organizationId')).toContain('got an empty string');
  });

  it('is required', () => {
    const raw = input();
    delete raw['organizationId'];
    expect(rejectOne(raw, 'organizationId')).toBe('is required');
  });

  it('must be a string', () => {
    expect(rejectOne(input({ organizationId: 12 }), 'organizationId')).toBe('must be a string (got 12)');
  });
});

describe('validateEvent: actionType', () => {
  it('rejects a misspelling with the documented reason', () => {
    expect(rejectOne(input({ actionType: 'QUERY_RUNS' }), 'actionType')).toBe(
      'must be one of the 34 action types (got "QUERY_RUNS")',
    );
  });

  it.each([['lower case', 'query_run'], ['number', 3], ['empty', '']])('rejects %s', (_label, actionType) => {
    expect(rejectOne(input({ actionType }), 'actionType')).toMatch(/^must be one of the 34 action types/);
  });

  it('is required', () => {
    expect(rejectOne({ organizationId: 'o' }, 'actionType')).toMatch(/^is required/);
  });
});

describe('validateEvent: userId', () => {
  it('accepts 1 and 256 characters', () => {
    expect(accept(input({ userId: 'u' })).userId).toBe('u');
    expect(accept(input({ userId: 'u'.repeat(256) })).userId).toBe('u'.repeat(256));
  });

  it('rejects 257 characters', () => {
    expect(rejectOne(input({ userId: 'u'.repeat(257) }), 'userId')).toBe('must be at most 256 characters (got 257)');
  });

  it('rejects an empty string', () => {
    expect(rejectOne(input({ userId: '' }), 'userId')).toMatch(/^must not be empty/);
  });

  it('rejects a number', () => {
    expect(rejectOne(input({ userId: 17 }), 'userId')).toBe('must be a string or null (got 17)');
  });
});

describe('validateEvent: user', () => {
  const user = (overrides: Record<string, unknown>) => input({ user: { email: 'a@b.c', userName: 'A', ...overrides } });

  it('accepts email at 320 and userName at 256 characters, and an empty userName', () => {
    const email = 'a'.repeat(310) + '@example.c';
    expect(email).toHaveLength(320);
    expect(accept(user({ email, userName: 'n'.repeat(256) })).user).toEqual({ email, userName: 'n'.repeat(256) });
    expect(accept(user({ userName: '' })).user).toEqual({ email: 'a@b.c', userName: '' });
  });

  it('rejects email at 321 characters', () => {
    const email = 'a'.repeat(311) + '@example.c';
    expect(rejectOne(user({ email }), 'user.email')).toBe('must be at most 320 characters (got 321)');
  });

  it('rejects email without "@"', () => {
    expect(rejectOne(user({ email: 'ada.example.com' }), 'user.email')).toMatch(/^must contain "@"/);
  });

  it('rejects empty email', () => {
    expect(rejectOne(user({ email: '' }), 'user.email')).toBe('must not be empty');
  });

  it('rejects userName at 257 characters', () => {
    expect(rejectOne(user({ userName: 'n'.repeat(257) }), 'user.userName')).toBe('must be at most 256 characters (got 257)');
  });

  it('requires both email and userName', () => {
    const errors = reject(input({ user: {} }));
    expect(errors).toEqual([
      { path: 'user.email', reason: 'is required' },
      { path: 'user.userName', reason: 'is required' },
    ]);
  });

  it('rejects non-string email and userName', () => {
    expect(reject(user({ email: 1, userName: false })).map((e) => e.path)).toEqual(['user.email', 'user.userName']);
  });

  it('rejects unknown keys with their own path', () => {
    const errors = reject(user({ id: 'u1', role: 'admin' }));
    expect(errors).toEqual([
      { path: 'user.id', reason: expect.stringMatching(/^is not a field of the user snapshot/) },
      { path: 'user.role', reason: expect.stringMatching(/^is not a field of the user snapshot/) },
    ]);
  });

  it.each([['a string', 'ada@example.com'], ['an array', []], ['a Date', new Date()]])('rejects %s', (_label, value) => {
    expect(rejectOne(input({ user: value }), 'user')).toMatch(/^must be an object with email and userName/);
  });
});

describe('validateEvent: ipAddress', () => {
  it.each(['127.0.0.1', '203.0.113.9', '::1', '2001:db8::1', '::ffff:192.0.2.1'])('accepts %s unchanged', (ip) => {
    expect(accept(input({ ipAddress: ip })).ipAddress).toBe(ip);
  });

  it('does not normalise IPv6 spelling', () => {
    expect(accept(input({ ipAddress: '2001:DB8:0:0::1' })).ipAddress).toBe('2001:DB8:0:0::1');
  });

  it.each(['999.1.1.1', 'abc', '1.2.3', '', ' 1.2.3.4', '2001:db8:::1', 'localhost'])('rejects %j', (ip) => {
    expect(rejectOne(input({ ipAddress: ip }), 'ipAddress')).toMatch(/^must be a valid IPv4 or IPv6 address/);
  });

  it('rejects a number', () => {
    expect(rejectOne(input({ ipAddress: 2130706433 }), 'ipAddress')).toMatch(/^must be a valid IPv4 or IPv6 address/);
  });
});

describe('validateEvent: responseTimeMs', () => {
  it.each([0, 1, 120_000, 2_147_483_647])('accepts %p', (ms) => {
    expect(accept(input({ responseTimeMs: ms })).responseTimeMs).toBe(ms);
  });

  it('rejects -1', () => {
    expect(rejectOne(input({ responseTimeMs: -1 }), 'responseTimeMs')).toBe('must be at least 0 (got -1)');
  });

  it('rejects 1.5', () => {
    expect(rejectOne(input({ responseTimeMs: 1.5 }), 'responseTimeMs')).toBe('must be a whole number of milliseconds (got 1.5)');
  });

  it.each([
    ['one past the integer column (2147483648)', 2_147_483_648],
    ['above MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a numeric string', '12'],
  ])('rejects %s', (_label, ms) => {
    expect(rejectOne(input({ responseTimeMs: ms }), 'responseTimeMs')).toMatch(/^must be/);
  });
});

describe.each(['pageName', 'queryName', 'resourceName'])('validateEvent: %s', (field) => {
  it('accepts 1024 characters', () => {
    const value = 'n'.repeat(LIMITS.maxNameLength);
    expect(accept(input({ [field]: value }))[field as keyof AuditEvent]).toBe(value);
  });

  it('counts string length, so 1024 multi-byte characters pass', () => {
    const value = 'é'.repeat(1024);
    expect(accept(input({ [field]: value }))[field as keyof AuditEvent]).toBe(value);
  });

  it('rejects 1025 characters', () => {
    expect(rejectOne(input({ [field]: 'n'.repeat(1025) }), field)).toBe('must be at most 1024 characters (got 1025)');
  });

  it('rejects a non-string', () => {
    expect(rejectOne(input({ [field]: { name: 'x' } }), field)).toBe('must be a string or null (got an object)');
  });
});

describe('validateEvent: metadata', () => {
  it('accepts exactly 32768 bytes', () => {
    const meta = metadataOfBytes(32768);
    expect(accept(input({ metadata: meta })).metadata).toEqual(meta);
  });

  it('rejects 32769 bytes, saying how many', () => {
    expect(rejectOne(input({ metadata: metadataOfBytes(32769) }), 'metadata')).toBe(
      'must serialise to at most 32768 bytes of JSON (got 32769)',
    );
  });

  it('counts UTF-8 bytes, not characters: multi-byte text at 32768 bytes passes and at 32769 fails', () => {
    // '€' is 3 bytes in UTF-8 but 1 UTF-16 unit: a character count would let far more through.
    const atLimit = metadataOfBytes(32768, '€');
    expect(JSON.stringify(atLimit).length).toBeLessThan(32768 / 2);
    expect(accept(input({ metadata: atLimit })).metadata).toEqual(atLimit);
    expect(rejectOne(input({ metadata: metadataOfBytes(32769, '€') }), 'metadata')).toContain('(got 32769)');
  });

  it('counts 4-byte characters (emoji) correctly', () => {
    expect(accept(input({ metadata: metadataOfBytes(32768, '😀') })).metadata).toBeDefined();
    expect(rejectOne(input({ metadata: metadataOfBytes(32769, '😀') }), 'metadata')).toContain('(got 32769)');
  });

  it.each([
    ['null', null, 'null'],
    ['an array', [1], 'an array'],
    ['a string', '{}', '"{}"'],
    ['a Date', new Date(0), 'a Date'],
    ['a Map', new Map(), 'an object'],
  ])('rejects %s', (_label, metadata, got) => {
    expect(rejectOne(input({ metadata }), 'metadata')).toBe(`must be a JSON object (got ${got})`);
  });

  it('rejects circular references and BigInt values', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(rejectOne(input({ metadata: circular }), 'metadata')).toMatch(/^must be JSON-serialisable/);
    expect(rejectOne(input({ metadata: { n: BigInt(1) } }), 'metadata')).toMatch(/^must be JSON-serialisable/);
  });

  it('rejects an object whose toJSON turns it into a non-object', () => {
    expect(rejectOne(input({ metadata: { toJSON: () => 'x' } }), 'metadata')).toMatch(/^must be a JSON object/);
  });
});

describe('validateEvent: createdAt', () => {
  const plusMs = (ms: number) => new Date(NOW.getTime() + ms);

  it.each([
    ['Z without ms', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
    ['Z with ms', '2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z'],
    ['Z with 2 fraction digits', '2026-01-02T03:04:05.67Z', '2026-01-02T03:04:05.670Z'],
    ['Z with 4 fraction digits', '2026-01-02T03:04:05.6789Z', '2026-01-02T03:04:05.678Z'],
    ['positive offset', '2026-01-02T03:04:05+02:00', '2026-01-02T01:04:05.000Z'],
    ['negative offset with ms', '2026-01-02T03:04:05.1-05:30', '2026-01-02T08:34:05.100Z'],
    ['microseconds truncated', '2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:05.123Z'],
    ['no seconds', '2026-01-02T03:04Z', '2026-01-02T03:04:00.000Z'],
    ['leap day', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['offset crossing a year', '2026-01-01T00:30:00+01:00', '2025-12-31T23:30:00.000Z'],
  ])('accepts %s', (_label, createdAt, expected) => {
    expect(accept(input({ createdAt })).createdAt).toBe(expected);
  });

  it('accepts a Date and normalises it', () => {
    expect(accept(input({ createdAt: new Date('2026-01-02T03:04:05.006Z') })).createdAt).toBe('2026-01-02T03:04:05.006Z');
  });

  it('accepts events from long ago (late delivery is normal)', () => {
    expect(accept(input({ createdAt: '2001-09-09T01:46:40Z' })).createdAt).toBe('2001-09-09T01:46:40.000Z');
  });

  it('defaults to now', () => {
    expect(accept(input()).createdAt).toBe(NOW.toISOString());
  });

  it('accepts exactly now + 5 minutes, as a Date and as a string', () => {
    expect(accept(input({ createdAt: plusMs(300_000) })).createdAt).toBe('2026-03-01T12:05:00.000Z');
    expect(accept(input({ createdAt: '2026-03-01T12:05:00.000Z' })).createdAt).toBe('2026-03-01T12:05:00.000Z');
  });

  it('rejects now + 5 minutes + 1 ms', () => {
    expect(rejectOne(input({ createdAt: plusMs(300_001) }), 'createdAt')).toMatch(/^must be at most 5 minutes in the future/);
    expect(rejectOne(input({ createdAt: '2026-03-01T12:05:00.001Z' }), 'createdAt')).toMatch(
      /^must be at most 5 minutes in the future/,
    );
  });

  it('applies the offset before the future check', () => {
    // 13:05+01:00 is 12:05Z: at the limit. 13:05:01+01:00 is past it.
    expect(accept(input({ createdAt: '2026-03-01T13:05:00+01:00' })).createdAt).toBe('2026-03-01T12:05:00.000Z');
    expect(rejectOne(input({ createdAt: '2026-03-01T13:05:01+01:00' }), 'createdAt')).toMatch(/in the future/);
  });

  it.each([
    ['date only', '2026-01-02'],
    ['no timezone', '2026-01-02T03:04:05'],
    ['space separator', '2026-01-02 03:04:05Z'],
    ['garbage', 'yesterday'],
    ['empty', ''],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 in a common year', '2026-02-29T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['hour 24', '2026-01-02T24:00:00Z'],
    ['minute 60', '2026-01-02T03:60:00Z'],
    ['second 60', '2026-01-02T03:04:60Z'],
    ['offset without colon', '2026-01-02T03:04:05+0200'],
    ['RFC 2822 string', 'Fri, 02 Jan 2026 03:04:05 GMT'],
  ])('rejects %s', (_label, createdAt) => {
    expect(rejectOne(input({ createdAt }), 'createdAt')).toMatch(/^must be an ISO-8601 date-time with timezone/);
  });

  it.each([
    ['an invalid Date', new Date(NaN), 'must be a valid Date (got an invalid Date)'],
    ['epoch millis', 1_767_323_045_000, 'must be an ISO-8601 date-time string or a Date (got 1767323045000)'],
    ['null', null, 'must be an ISO-8601 date-time string or a Date (got null)'],
  ])('rejects %s', (_label, createdAt, reason) => {
    expect(rejectOne(input({ createdAt }), 'createdAt')).toBe(reason);
  });
});

describe('validateEvent: fields owned by ingest and unknown fields', () => {
  it('sets receivedAt from opts.receivedAt, else from now', () => {
    const receivedAt = new Date('2026-03-01T12:00:01.234Z');
    expect(accept(input(), { now: NOW, receivedAt }).receivedAt).toBe('2026-03-01T12:00:01.234Z');
    expect(accept(input(), { now: NOW }).receivedAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it('rejects receivedAt sent by the emitter', () => {
    expect(rejectOne(input({ receivedAt: NOW.toISOString() }), 'receivedAt')).toBe('is set by ingest, not by the emitter');
  });

  it.each([2, 0, '1', null])('rejects schemaVersion %p', (schemaVersion) => {
    expect(rejectOne(input({ schemaVersion }), 'schemaVersion')).toMatch(/^is set by ingest, not by the emitter/);
  });

  it('rejects each unknown top-level field by name', () => {
    const errors = reject(input({ userEmail: 'a@b.c', action_type: 'LOGIN', __proto__x: 1 }));
    expect(errors).toEqual([
      { path: 'userEmail', reason: 'is not a field of the event schema' },
      { path: 'action_type', reason: 'is not a field of the event schema' },
      { path: '__proto__x', reason: 'is not a field of the event schema' },
    ]);
  });

  it('names an empty or unsendable unknown key by its JSON form, so every error names something', () => {
    expect(reject(input({ '': 1, ['k\ud800']: 2, ['n\u0000']: 3, user: { email: 'a@b', userName: 'A', '': 4 } }))).toEqual([
      { path: 'user.""', reason: 'is not a field of the user snapshot (only email and userName)' },
      { path: '""', reason: 'is not a field of the event schema' },
      { path: '"k\\ud800"', reason: 'is not a field of the event schema' },
      { path: '"n\\u0000"', reason: 'is not a field of the event schema' },
    ]);
  });

  it('rejects a "__proto__" key from JSON.parse as unknown instead of using it', () => {
    const raw: unknown = JSON.parse('{"organizationId":"o","actionType":"LOGIN","__proto__":{"userId":"x"}}');
    expect(rejectOne(raw, '__proto__')).toBe('is not a field of the event schema');
  });

  it('does not read fields inherited through the prototype chain', () => {
    // Not a plain object either way, but make sure it is refused rather than read.
    const raw: unknown = Object.create({ organizationId: 'o', actionType: 'LOGIN' });
    expect(reject(raw)).toEqual([{ path: '$', reason: 'must be a JSON object (got an object)' }]);
  });
});

describe('validateEvent: shape of the input', () => {
  it.each([
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array', [input()], 'an array'],
    ['a string', '{"organizationId":"o"}', '"{\\"organizationId\\":\\"o\\"}"'],
    ['a number', 1, '1'],
    ['a Date', new Date(), 'a Date'],
    ['a class instance', new (class Event {})(), 'an object'],
  ])('rejects %s at path $', (_label, value, got) => {
    expect(reject(value)).toEqual([{ path: '$', reason: `must be a JSON object (got ${got})` }]);
  });

  it('truncates long values echoed in reasons', () => {
    const reason = rejectOne(input({ actionType: 'X'.repeat(10_000) }), 'actionType');
    expect(reason.length).toBeLessThan(200);
    expect(reason).toContain('…');
  });
});

describe('validateEvent: several bad fields at once', () => {
  it('reports every wrong field, in event-field order, then unknown fields', () => {
    const errors = reject({
      id: 'nope',
      organizationId: 'bad org',
      actionType: 'QUERY_RUNS',
      userId: '',
      user: { email: 'no-at-sign', userName: 5, extra: true },
      ipAddress: '999.1.1.1',
      responseTimeMs: -1,
      pageName: 'p'.repeat(1025),
      queryName: 7,
      resourceName: 'r'.repeat(1025),
      metadata: [],
      createdAt: '2026-01-02',
      receivedAt: 'now',
      schemaVersion: 2,
      color: 'blue',
    });
    expect(errors.map((e) => e.path)).toEqual([
      'schemaVersion',
      'id',
      'organizationId',
      'actionType',
      'userId',
      'user.email',
      'user.userName',
      'user.extra',
      'ipAddress',
      'responseTimeMs',
      'pageName',
      'queryName',
      'resourceName',
      'metadata',
      'createdAt',
      'receivedAt',
      'color',
    ]);
    for (const e of errors) expect(e.reason).toMatch(/\S/);
  });

  it('reports both missing required fields', () => {
    expect(reject({}).map((e) => e.path)).toEqual(['organizationId', 'actionType']);
  });
});

describe('validateEvent: options', () => {
  it('throws on an invalid now (a caller bug, not bad input)', () => {
    expect(() => validateEvent(input(), { now: new Date(NaN) })).toThrow(TypeError);
  });

  it('throws on an invalid receivedAt', () => {
    expect(() => validateEvent(input(), { now: NOW, receivedAt: new Date('x') })).toThrow(TypeError);
  });

  it('measures future skew against opts.now, not the wall clock', () => {
    const later = new Date('2030-01-01T00:00:00Z');
    expect(accept(input({ createdAt: '2030-01-01T00:04:00Z' }), { now: later }).createdAt).toBe('2030-01-01T00:04:00.000Z');
    expect(rejectOne(input({ createdAt: '2030-01-01T00:04:00Z' }), 'createdAt')).toMatch(/in the future/);
  });
});

describe('the NUL character, which Postgres cannot store', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  it.each([
    ['userId', { userId: 'u\u00001' }],
    ['pageName', { pageName: 'a\u0000b' }],
    ['queryName', { queryName: '\u0000' }],
    ['resourceName', { resourceName: 'r\u0000' }],
    ['user.email', { user: { email: 'a@b\u0000', userName: 'A' } }],
    ['user.userName', { user: { email: 'a@b', userName: 'A\u0000' } }],
    ['metadata', { metadata: { query: 'select 1', nested: { text: 'x\u0000y' } } }],
  ])('is refused in %s', (path, fields) => {
    const result = validateEvent({ organizationId: 'acme', actionType: 'QUERY_RUN', ...fields }, { now });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([{ path, reason: expect.stringContaining('NUL character') }]);
  });

  it('is allowed as escaped text that is not a NUL', () => {
    expect(validateEvent({ organizationId: 'acme', actionType: 'QUERY_RUN', metadata: { query: 'select \'\\\\u0000\'' } }, { now }).ok).toBe(true);
  });
});

describe('text that is not well-formed Unicode (a lone UTF-16 surrogate)', () => {
  const surrogate = expect.stringContaining('well-formed Unicode');
  it.each([
    ['userId', { userId: 'u\ud8001' }],
    ['pageName', { pageName: 'a\udfffb' }],
    ['queryName', { queryName: '\ud800' }],
    ['resourceName', { resourceName: 'r\udc00' }],
    ['user.email', { user: { email: 'a@b\ud83d', userName: 'A' } }],
    ['user.userName', { user: { email: 'a@b', userName: '\ude00A' } }],
  ])('is refused in %s, never replaced', (path, fields) => {
    expect(reject(input(fields))).toEqual([{ path, reason: surrogate }]);
  });

  it('is refused in a metadata value at any depth, naming where', () => {
    const errors = reject(input({ metadata: { a: { b: 'x\ud800' } } }));
    expect(errors).toEqual([{ path: 'metadata', reason: surrogate }]);
    expect(errors[0].reason).toContain('first in the value at metadata.a.b');
  });

  it('is refused in a metadata value inside arrays, with indexes in the path', () => {
    expect(rejectOne(input({ metadata: { list: ['ok', ['\udbff']] } }), 'metadata')).toContain('at metadata.list[1][0]');
  });

  it('is refused in a metadata key, showing the key escaped', () => {
    const reason = rejectOne(input({ metadata: { a: { ['k\ud800']: 1 } } }), 'metadata');
    expect(reason).toContain('first in the key "k\\ud800" at metadata.a');
    // The reason itself is well-formed, so the 400 carrying it is too.
    expect(isWellFormedText(reason)).toBe(true);
  });

  it('quotes keys that are not identifiers in the path', () => {
    expect(rejectOne(input({ metadata: { 'x y': { '0': '\ud800' } } }), 'metadata')).toContain('at metadata["x y"]["0"]');
  });

  it('is refused next to a NUL, each with its own reason', () => {
    const errors = reject(input({ pageName: '\u0000\ud800', metadata: { a: '\u0000', b: '\ud800' } }));
    expect(errors.map((e) => [e.path, e.reason])).toEqual([
      ['pageName', expect.stringContaining('NUL')],
      ['pageName', expect.stringContaining('well-formed')],
      ['metadata', expect.stringContaining('NUL')],
      ['metadata', expect.stringContaining('well-formed')],
    ]);
  });

  it('accepts surrogate pairs (astral characters) everywhere', () => {
    const astral = '𝄞😀𠀀';
    const event = accept(input({ userId: astral, pageName: astral, queryName: astral, resourceName: astral,
      user: { email: `${astral}@x`, userName: astral }, metadata: { [astral]: [astral, { [astral]: astral }] } }));
    expect(event.pageName).toBe(astral);
    expect(event.metadata).toEqual({ [astral]: [astral, { [astral]: astral }] });
  });
});

describe('createdAt floor: 1970-01-01T00:00:00Z', () => {
  it.each([
    ['year 0', '0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
    ['year 1 with an offset that lands in year 0', '0001-01-01T00:30:00+01:00', '0000-12-31T23:30:00.000Z'],
    ['1969', '1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z'],
    ['1970 local time that is 1969 in UTC', '1970-01-01T00:30:00+01:00', '1969-12-31T23:30:00.000Z'],
  ])('refuses %s, naming the floor', (_label, createdAt, got) => {
    expect(rejectOne(input({ createdAt }), 'createdAt')).toBe(
      `must be at or after 1970-01-01T00:00:00.000Z, the earliest time every store can hold (got ${got})`,
    );
  });

  it('refuses a Date before the floor', () => {
    expect(rejectOne(input({ createdAt: new Date(-1) }), 'createdAt')).toMatch(/^must be at or after 1970-01-01T00:00:00.000Z/);
  });

  it('accepts the floor itself', () => {
    expect(accept(input({ createdAt: '1970-01-01T00:00:00Z' })).createdAt).toBe('1970-01-01T00:00:00.000Z');
    expect(accept(input({ createdAt: '1970-01-01T01:00:00+01:00' })).createdAt).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('metadata nesting depth (at most 64 levels, metadata itself is level 1)', () => {
  /** `depth` levels of containers, metadata included, built without recursion. */
  function nested(depth: number, kind: 'object' | 'array'): Record<string, unknown> {
    let inner: unknown = 'leaf';
    for (let level = depth; level > 1; level--) inner = kind === 'object' ? { a: inner } : [inner];
    return { a: inner };
  }

  it('accepts exactly 64 levels of objects and of arrays', () => {
    expect(accept(input({ metadata: nested(64, 'object') })).metadata).toEqual(nested(64, 'object'));
    expect(accept(input({ metadata: nested(64, 'array') })).metadata).toEqual(nested(64, 'array'));
  });

  it('refuses 65 levels, naming where the 65th starts', () => {
    const reason = rejectOne(input({ metadata: nested(65, 'object') }), 'metadata');
    expect(reason).toMatch(/^must nest objects and arrays at most 64 levels deep/);
    expect(reason).toContain(`(level 65 first at metadata${'.a'.repeat(64)})`);
    expect(rejectOne(input({ metadata: nested(65, 'array') }), 'metadata')).toContain(`at metadata.a${'[0]'.repeat(63)})`);
  });

  it.each([
    ['4,000 objects', 4000, 'object'],
    ['5,000 arrays', 5000, 'array'],
    ['100,000 objects', 100_000, 'object'],
    ['100,000 arrays', 100_000, 'array'],
  ] as const)('answers %s deep with an error, not a throw', (_label, depth, kind) => {
    const metadata = nested(depth, kind);
    expect(rejectOne(input({ metadata }), 'metadata')).toMatch(/^must nest objects and arrays at most 64 levels deep/);
    // As it arrives over HTTP or the bus: parsed from JSON text.
    const text = `{"organizationId":"o","actionType":"QUERY_RUN","metadata":${kind === 'object' ? '{"a":'.repeat(depth) : '{"a":' + '['.repeat(depth - 1)}1${kind === 'object' ? '}'.repeat(depth) : ']'.repeat(depth - 1) + '}'}}`;
    expect(rejectOne(JSON.parse(text), 'metadata')).toMatch(/at most 64 levels deep/);
  });

  it('still names a circular reference as such', () => {
    const circular: Record<string, unknown> = { a: {} };
    (circular['a'] as Record<string, unknown>)['back'] = circular;
    expect(rejectOne(input({ metadata: circular }), 'metadata')).toMatch(/^must be JSON-serialisable/);
  });
});
