import Ajv from 'ajv';
import fc from 'fast-check';
import { ACTION_TYPES } from './action-types';
import { EVENT_FIELDS } from './event-fields';
import { eventJsonSchema } from './event-schema';
import { validateEvent } from './validate';

const ajv = new Ajv({ allErrors: true, format: 'full' });
const inputSchema = ajv.compile(eventJsonSchema('input'));
const storedSchema = ajv.compile(eventJsonSchema('stored'));
const NOW = new Date('2026-03-01T12:00:00.000Z');

/** JSON-shaped candidates near the contract's edges, so the validator accepts many and refuses many. */
const nullableText = (max: number) => fc.option(fc.string({ maxLength: max + 2 }), { nil: null });
const candidate = fc.record(
  {
    id: fc.oneof(fc.uuid(), fc.string({ maxLength: 8 })),
    organizationId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,66}$/), fc.constant('a.b')),
    actionType: fc.oneof(fc.constantFrom(...ACTION_TYPES), fc.constant('NOPE')),
    userId: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
    user: fc.option(fc.record({ email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 4 })), userName: fc.string({ maxLength: 8 }) }), { nil: null }),
    ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 6 })), { nil: null }),
    responseTimeMs: fc.option(fc.oneof(fc.nat(), fc.integer({ min: -5, max: -1 }), fc.double({ noNaN: true, noDefaultInfinity: true })), { nil: null }),
    pageName: nullableText(4),
    queryName: nullableText(4),
    resourceName: nullableText(4),
    metadata: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    createdAt: fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2026-03-01T12:04:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  { requiredKeys: ['organizationId', 'actionType'] },
);

describe('eventJsonSchema', () => {
  it('has exactly the fields of the field table (stored) and the emitter-set ones (input), each described', () => {
    const stored = eventJsonSchema('stored');
    const input = eventJsonSchema('input');
    expect(Object.keys(stored.properties as object)).toEqual(EVENT_FIELDS.map((f) => f.name));
    expect(stored.required).toEqual(EVENT_FIELDS.map((f) => f.name));
    expect(Object.keys(input.properties as object)).toEqual(EVENT_FIELDS.filter((f) => f.setBy === 'emitter').map((f) => f.name));
    expect(input.required).toEqual(['organizationId', 'actionType']);
    for (const field of EVENT_FIELDS) expect((stored.properties as Record<string, { description: string }>)[field.name]?.description).toBe(field.description);
  });

  it('accepts every input the validator accepts, and the stored event it makes', () => {
    fc.assert(
      fc.property(candidate, (input) => {
        const result = validateEvent(input, { now: NOW });
        if (!result.ok) return;
        expect(inputSchema(input) ? [] : inputSchema.errors).toEqual([]);
        expect(storedSchema(JSON.parse(JSON.stringify(result.event))) ? [] : storedSchema.errors).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what the validator refuses for the reasons a schema can state', () => {
    const ok = { organizationId: 'acme', actionType: 'LOGIN' };
    expect(inputSchema(ok)).toBe(true);
    const refused: Array<[string, Record<string, unknown>]> = [
      ['organizationId', { actionType: 'LOGIN' }],
      ['organizationId', { ...ok, organizationId: 'a.b' }],
      ['actionType', { ...ok, actionType: 'NOPE' }],
      ['id', { ...ok, id: 'not-a-uuid' }],
      ['userId', { ...ok, userId: '' }],
      ['user', { ...ok, user: { email: 'no-at-sign', userName: 'x' } }],
      ['ipAddress', { ...ok, ipAddress: '300.1.1.1' }],
      ['responseTimeMs', { ...ok, responseTimeMs: -1 }],
      ['responseTimeMs', { ...ok, responseTimeMs: 1.5 }],
      ['pageName', { ...ok, pageName: 'x'.repeat(1025) }],
      ['metadata', { ...ok, metadata: [] }],
      ['createdAt', { ...ok, createdAt: 'yesterday' }],
      ['receivedAt', { ...ok, receivedAt: '2026-03-01T12:00:00.000Z' }],
    ];
    for (const [field, input] of refused) {
      expect({ field, valid: inputSchema(input) }).toEqual({ field, valid: false });
      expect({ field, valid: validateEvent(input, { now: NOW }).ok }).toEqual({ field, valid: false });
    }
  });
});
