import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { ACTION_TYPES } from './action-types';
import { canonicalEventOf, canonicalInstantMs } from './canonical';
import type { AuditEvent } from './event';
import { EVENT_FIELD_NAMES } from './event-fields';
import { findPrototypeKey } from './prototype-keys';
import { validateEvent } from './validate';

/** Ingest's output for an emitter's input, received at `receivedAt`. */
function ingested(input: Record<string, unknown>, receivedAt: Date): AuditEvent {
  const result = validateEvent(input, { now: receivedAt });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.event;
}

/**
 * What full validation says of a payload read from the bus: the event when validating its fields at its own
 * receivedAt reproduces exactly what will be stored (the payload's JSON), else undefined.
 */
function reproducedByValidation(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const emitted: Record<string, unknown> = { ...(payload as Record<string, unknown>) };
  const receivedAt = emitted['receivedAt'];
  delete emitted['receivedAt'];
  if (typeof receivedAt !== 'string') return undefined;
  const at = new Date(Date.parse(receivedAt));
  if (Number.isNaN(at.getTime()) || at.toISOString() !== receivedAt) return undefined;
  const result = validateEvent(emitted, { now: at, receivedAt: at });
  if (!result.ok) return undefined;
  const stored = JSON.parse(JSON.stringify(result.event)) as unknown;
  return isDeepStrictEqual(stored, JSON.parse(JSON.stringify(payload))) ? stored : undefined;
}

/** The payload as the bus carries it: JSON text, parsed (so a `__proto__` key is an own key, as JSON.parse makes it). */
function overTheBus(entries: ReadonlyArray<[string, unknown]>): unknown {
  return JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);
}

const text = (max: number) => fc.string({ maxLength: max, unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
const emitterInput = fc.record(
  {
    organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.option(text(40).filter((s) => s.length > 0)),
    user: fc.option(fc.record({ email: text(20).map((s) => `${s}@x.test`), userName: text(20) })),
    ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6())),
    responseTimeMs: fc.option(fc.nat({ max: 2_147_483_647 })),
    pageName: fc.option(text(50)),
    queryName: fc.option(text(50)),
    resourceName: fc.option(text(50)),
    // Metadata the contract takes: fast-check draws "__proto__" and "constructor" keys on purpose, refused at any depth.
    metadata: fc.dictionary(text(10), fc.jsonValue({ maxDepth: 3 })).filter((m) => findPrototypeKey(m, 'metadata') === undefined),
    createdAt: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2030-06-01T00:04:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  { requiredKeys: ['organizationId', 'actionType'] },
);
const receivedAt = new Date('2030-06-01T00:00:00Z');

/** Values near and across each field's rules. */
const EDGES: unknown[] = [
  null,
  '',
  '\u0000',
  'a\ud800b',
  'x'.repeat(1025),
  'x'.repeat(257),
  -1,
  1.5,
  2 ** 31,
  1,
  'LOGIN',
  'login',
  '0190F5E2-7C4A-7B3E-8D2A-1F2E3D4C5B6A',
  '0190f5e2-7c4a-7b3e-8d2a-1f2e3d4c5b6a',
  '2030-06-01T00:00:00Z',
  '2030-06-01T00:00:00.000Z',
  '2030-06-01T00:05:00.001Z',
  '2030-02-30T00:00:00.000Z',
  // Calendar edges, checked by hand in canonicalEventOf: leap days (valid and not), a 30-day month's 31st, hour 24, minute 60.
  '2024-02-29T12:00:00.000Z',
  '2000-02-29T00:00:00.000Z',
  '2023-02-29T00:00:00.000Z',
  '1900-02-29T00:00:00.000Z',
  '2028-04-31T00:00:00.000Z',
  '2028-12-31T23:59:59.999Z',
  '2028-06-01T24:00:00.000Z',
  '2028-06-01T23:60:00.000Z',
  '2028-06-01T23:59:60.000Z',
  '2028-13-01T00:00:00.000Z',
  '2028-00-10T00:00:00.000Z',
  '2028-06-00T00:00:00.000Z',
  '1969-12-31T23:59:59.999Z',
  '+002030-06-01T00:00:00.000Z',
  '10.0.0.256',
  '::1',
  { email: 'a@b', userName: 'n' },
  { email: 'a@b', userName: 'n', extra: 1 },
  { email: 'ab', userName: 'n' },
  { a: { b: '\u0000' } },
  { big: 'x'.repeat(32_800) },
  2_147_483_647,
  0,
  'a@b',
  [],
];
const tricky = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...EDGES));
const KEYS = [...EVENT_FIELD_NAMES, '__proto__', 'extra', 'constructor', 'toString'];
const key = fc.constantFrom(...KEYS);
const mutation = fc.oneof(
  fc.tuple(fc.constant('set' as const), key, tricky),
  fc.tuple(fc.constant('delete' as const), key, fc.constant(undefined)),
);

describe('canonicalEventOf', () => {
  it('recognises every event ingest publishes, as it was published', () => {
    fc.assert(
      fc.property(emitterInput, (input) => {
        const event = ingested(input, receivedAt);
        expect(canonicalEventOf(JSON.parse(JSON.stringify(event)))).toEqual(event);
      }),
    );
  });

  it('takes the fast way an event validation reproduces whatever the year of its receivedAt (ingest\'s clock)', () => {
    // Found by the property below: receivedAt 1 ms before 1970 with createdAt at the floor, 1 ms ahead of it.
    for (const at of ['1969-12-31T23:59:59.999Z', '0500-03-01T00:00:00.000Z']) {
      const payload = overTheBus([...Object.entries(ingested({ organizationId: 'A', actionType: 'QUERY_RUN', createdAt: '1970-01-01T00:00:00.000Z' }, receivedAt)), ['receivedAt', at]]);
      const full = reproducedByValidation(payload);
      expect(full === undefined ? undefined : canonicalEventOf(payload)).toEqual(full);
    }
  });

  it('accepts nothing validation would not reproduce exactly, and refuses nothing it would with every field present', () => {
    fc.assert(
      fc.property(emitterInput, fc.array(mutation, { minLength: 1, maxLength: 3 }), (input, mutations) => {
        const entries = new Map<string, unknown>(Object.entries(ingested(input, receivedAt)));
        for (const [kind, k, value] of mutations) {
          if (kind === 'set') entries.set(k, value);
          else entries.delete(k);
        }
        const payload = overTheBus([...entries]);
        const fast = canonicalEventOf(payload);
        const full = reproducedByValidation(payload);
        if (fast !== undefined) expect(JSON.parse(JSON.stringify(fast))).toEqual(full);
        const complete = EVENT_FIELD_NAMES.every((name) => entries.has(name)) && entries.size === EVENT_FIELD_NAMES.length;
        if (full !== undefined && complete) expect(fast).toBeDefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with validation on every field set to each edge value, and with the field left out', () => {
    const genuine = ingested(
      { organizationId: 'acme', actionType: 'QUERY_RUN', userId: 'u', user: { email: 'a@b', userName: 'n' }, ipAddress: '10.0.0.1', responseTimeMs: 5, pageName: 'p', metadata: { a: [1] } },
      new Date('2030-06-01T00:00:00.000Z'),
    );
    for (const k of KEYS) {
      for (const value of [...EDGES, undefined]) {
        const entries = new Map<string, unknown>(Object.entries(genuine));
        if (value === undefined) entries.delete(k);
        else entries.set(k, value);
        const payload = overTheBus([...entries]);
        const fast = canonicalEventOf(payload);
        const full = reproducedByValidation(payload);
        const complete = EVENT_FIELD_NAMES.every((name) => entries.has(name)) && entries.size === EVENT_FIELD_NAMES.length;
        expect({ k, value, fast: fast === undefined ? undefined : JSON.parse(JSON.stringify(fast)) }).toEqual({ k, value, fast: complete ? full : undefined });
      }
    }
  });

  it('refuses what is not an object, or is one of another shape', () => {
    for (const value of [null, 1, 'x', [], [{}], {}]) expect(canonicalEventOf(value)).toBeUndefined();
  });
});

describe('canonicalInstantMs', () => {
  it("reads every instant toISOString() writes with four-digit years as Date.parse does", () => {
    const date = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
    fc.assert(fc.property(date, (d) => expect(canonicalInstantMs(d.toISOString())).toBe(d.getTime())), { numRuns: 2000 });
  });

  it('accepts a string of that shape only when toISOString() would write it, with the same instant', () => {
    // Every field from 0 to one past its largest value: impossible days, hours, minutes and seconds, years 0000-0099.
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    const shaped = fc
      .tuple(fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 120 })), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 999 }))
      .map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`);
    fc.assert(
      fc.property(shaped, (text) => {
        const ms = Date.parse(text);
        const canonical = !Number.isNaN(ms) && new Date(ms).toISOString() === text;
        expect(canonicalInstantMs(text)).toBe(canonical ? ms : undefined);
      }),
      { numRuns: 5000 },
    );
    for (const text of ['2024-02-29T23:59:59.999Z', '0050-06-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2028-06-01T24:00:00.000Z', '2028-06-01T00:00:00Z', 42]) {
      const ms = typeof text === 'string' ? Date.parse(text) : NaN;
      expect(canonicalInstantMs(text)).toBe(typeof text === 'string' && !Number.isNaN(ms) && new Date(ms).toISOString() === text ? ms : undefined);
    }
  });

  it('answers any sequence of reads, the same text again included, as each text alone (the last instant is remembered)', () => {
    const texts = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2023-02-29T00:00:00.000Z', '2028-06-01T00:00:00Z', ''), fc.string());
    fc.assert(
      fc.property(fc.array(texts, { maxLength: 8 }), (sequence) => {
        for (const text of [...sequence, ...sequence]) {
          const ms = Date.parse(text);
          expect(canonicalInstantMs(text)).toBe(!Number.isNaN(ms) && /^\d{4}-/.test(text) && new Date(ms).toISOString() === text ? ms : undefined);
        }
      }),
    );
    expect(canonicalInstantMs(undefined)).toBeUndefined();
  });
});
