import fc from 'fast-check';
import { ACTION_TYPES, type ActionType } from './action-types';
import { LIMITS } from './limits';
import { isWellFormedText } from './text';
import { validateEvent } from './validate';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const MINUTE = 60_000;

// ---- Hostile input: anything a JSON body, a bus message or an untyped caller can hand over ----

/** Any UTF-16 code unit, so lone surrogates and U+0000 turn up often. */
const rawText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 12 });
/** Containers nested `levels` deep (the outermost counts), built without recursion. */
const chainOf = (levels: number, kind: 'object' | 'array', bottom: unknown): unknown => {
  let inner = bottom;
  for (let level = levels; level > 1; level--) inner = kind === 'object' ? { [String(level % 3)]: inner } : [inner];
  return kind === 'object' ? { a: inner } : [inner];
};
const deep = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('object' as const, 'array' as const), fc.anything()).map(([levels, kind, bottom]) => chainOf(levels, kind, bottom));
const hostileValue = fc.oneof(
  fc.anything({ key: rawText, values: [rawText, fc.integer(), fc.double(), fc.boolean(), fc.constant(null)], maxDepth: 4 }),
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.jsonValue(),
  rawText,
  deep,
);
/** An object shaped like an event, each field anything at all (so every check meets every kind of value). */
const hostileEvent = fc.record(
  {
    id: fc.oneof(fc.uuid(), hostileValue),
    organizationId: fc.oneof(fc.constant('acme'), hostileValue),
    actionType: fc.oneof(fc.constantFrom(...ACTION_TYPES), hostileValue),
    userId: hostileValue,
    user: fc.oneof(fc.record({ email: fc.oneof(rawText, hostileValue), userName: fc.oneof(rawText, hostileValue) }), hostileValue),
    ipAddress: hostileValue,
    responseTimeMs: hostileValue,
    pageName: fc.oneof(rawText, hostileValue),
    queryName: fc.oneof(rawText, hostileValue),
    resourceName: fc.oneof(rawText, hostileValue),
    metadata: fc.oneof(fc.dictionary(rawText, hostileValue, { maxKeys: 4 }), deep, hostileValue),
    createdAt: fc.oneof(fc.date(), fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())), rawText, hostileValue),
    receivedAt: hostileValue,
    schemaVersion: hostileValue,
  },
  { requiredKeys: [] },
);

describe('validateEvent on hostile input (property)', () => {
  it('never throws: every input is an event or a list of errors, each naming a field with a well-formed reason', () => {
    fc.assert(
      fc.property(fc.oneof(hostileEvent, hostileValue), (input) => {
        const result = validateEvent(input, { now: NOW });
        if (result.ok) return;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const { path, reason } of result.errors) {
          expect(typeof path === 'string' && path.length > 0 && isWellFormedText(path) && !path.includes('\u0000')).toBe(true);
          // The reason travels back in a 400 and in a dead letter's header: it must be text every hop carries.
          expect(isWellFormedText(reason) && !reason.includes('\u0000')).toBe(true);
          expect(reason.length).toBeLessThan(1024);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

// ---- Valid input: anything the contract allows must pass, unchanged, and survive JSON ----

/** Text a client may send: any code point (astral planes too) or grapheme clusters, but never U+0000. */
const text = (maxUnits: number, minLength = 0): fc.Arbitrary<string> =>
  fc
    .oneof(fc.string({ minLength, maxLength: maxUnits >> 2 }), fc.string({ unit: 'binary', minLength, maxLength: maxUnits >> 2 }), fc.string({ unit: 'grapheme', minLength, maxLength: maxUnits >> 2 }))
    .map((s) => s.replaceAll('\u0000', ''))
    .filter((s) => s.length >= minLength && s.length <= maxUnits);

const metadataKey = text(24).filter((k) => k !== '__proto__' && k !== 'constructor');
const { json } = fc.letrec<{ json: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  json: fc.oneof({ depthSize: 'small' }, text(40), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 4 }),
  // Any key but "__proto__" and "constructor" (fast-check draws both on purpose), which the contract refuses at any depth.
  object: fc.dictionary(metadataKey, tie('json'), { maxKeys: 4 }),
}));
const metadata = fc.oneof(
  fc.dictionary(metadataKey, json, { maxKeys: 6 }),
  fc.tuple(fc.integer({ min: 1, max: LIMITS.maxMetadataDepth }), fc.constantFrom('object' as const, 'array' as const), text(20)).map(([levels, kind, bottom]) => ({ m: chainOf(levels - 1, kind, bottom) })),
);

/** Any instant from the floor to the future limit, as a Date, in UTC, or as a wall clock with an offset. */
const createdAt = fc
  .tuple(fc.integer({ min: LIMITS.minCreatedAtMs, max: NOW.getTime() + LIMITS.maxFutureSkewMs }), fc.constantFrom('date', 'utc', 'offset'), fc.integer({ min: -12 * 4, max: 14 * 4 }))
  .map(([ms, style, quarters]) => {
    if (style === 'date') return { value: new Date(ms) as Date | string, ms };
    if (style === 'utc') return { value: new Date(ms).toISOString(), ms };
    const offset = quarters * 15;
    const wall = new Date(ms + offset * MINUTE).toISOString().slice(0, -1);
    const abs = Math.abs(offset);
    return { value: `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`, ms };
  });

const validInput = fc
  .record({
    id: fc.option(fc.uuid(), { nil: undefined }),
    organizationId: fc.stringMatching(LIMITS.organizationIdPattern),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.option(text(LIMITS.maxUserIdLength, 1), { nil: null }),
    user: fc.option(fc.record({ email: fc.tuple(text(150), text(150)).map(([a, b]) => `${a}@${b}`), userName: text(LIMITS.maxUserNameLength) }), { nil: null }),
    ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6()), { nil: null }),
    responseTimeMs: fc.option(fc.integer({ min: 0, max: LIMITS.maxResponseTimeMs }), { nil: null }),
    pageName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
    queryName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
    resourceName: fc.option(text(LIMITS.maxNameLength), { nil: null }),
    metadata,
    createdAt,
  })
  .filter((e) => Buffer.byteLength(JSON.stringify(e.metadata)) <= LIMITS.maxMetadataBytes);

describe('validateEvent on valid input (property)', () => {
  it('accepts every valid event with what was sent, and the event survives JSON and a second validation unchanged', () => {
    const seen = new Set<ActionType>();
    fc.assert(
      fc.property(validInput, ({ createdAt: when, ...fields }) => {
        const result = validateEvent({ ...fields, createdAt: when.value }, { now: NOW });
        if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
        const { event } = result;
        seen.add(event.actionType);
        expect(event).toMatchObject({
          organizationId: fields.organizationId,
          actionType: fields.actionType,
          userId: fields.userId,
          user: fields.user,
          ipAddress: fields.ipAddress,
          responseTimeMs: fields.responseTimeMs,
          pageName: fields.pageName,
          queryName: fields.queryName,
          resourceName: fields.resourceName,
          metadata: JSON.parse(JSON.stringify(fields.metadata)) as unknown,
          createdAt: new Date(when.ms).toISOString(),
        });
        if (fields.id !== undefined) expect(event.id).toBe(fields.id.toLowerCase());
        // What the bus and the stores carry is its JSON: the same event comes back from it...
        const carried = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
        expect(carried).toEqual(event);
        // ...and a consumer that checks the contract again accepts it as it is.
        const { receivedAt, ...replayed } = carried;
        expect(validateEvent(replayed, { now: NOW, receivedAt: new Date(receivedAt as string) })).toEqual({ ok: true, event });
      }),
      { numRuns: 1_000 },
    );
    // All 34 action types were among the generated events.
    expect(seen.size).toBe(ACTION_TYPES.length);
  });
});

describe('validateEvent: createdAt (property)', () => {
  it('writes createdAt as toISOString() writes the instant sent, whatever the fraction digits and offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: LIMITS.minCreatedAtMs + 14 * 60 * MINUTE, max: NOW.getTime() - 14 * 60 * MINUTE }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: -12 * 4, max: 14 * 4 }),
        (ms, digits, quarters) => {
          const offset = quarters * 15;
          // The wall clock at that offset, its fraction cut or padded to `digits` digits.
          const wall = new Date(ms + offset * MINUTE).toISOString();
          const fraction = digits === 0 ? '' : `.${wall.slice(20, 23).padEnd(9, '0').slice(0, digits)}`;
          const abs = Math.abs(offset);
          const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const sent = `${wall.slice(0, 19)}${fraction}${zone}`;
          const kept = Math.min(digits, 3);
          const millis = ms % 1000;
          const truncated = ms - millis + Math.floor(millis / 10 ** (3 - kept)) * 10 ** (3 - kept);
          const result = validateEvent({ organizationId: 'acme', actionType: 'LOGIN', createdAt: sent }, { now: NOW });
          if (!result.ok) throw new Error(`refused ${sent}: ${JSON.stringify(result.errors)}`);
          expect(result.event.createdAt).toBe(new Date(truncated).toISOString());
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
