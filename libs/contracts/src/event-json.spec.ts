import fc from 'fast-check';
import { ACTION_TYPES } from './action-types';
import { canonicalEventOf } from './canonical';
import { eventJson, metadataJson } from './event-json';
import { validateEvent } from './validate';

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
/** Metadata as emitters send it, with values that serialise to something else than they are (Dates, undefined, -0, toJSON). */
const metadata = fc.oneof(
  fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.dictionary(text, fc.anything({ key: text, maxDepth: 3, withDate: true, withBoxedValues: true, withSparseArray: true }), { maxKeys: 5 }),
  fc.record({ at: fc.date(), zero: fc.constant(-0), gone: fc.constant(undefined), custom: fc.constant({ toJSON: () => ({ made: 'by toJSON' }) }) }),
);
const input = fc.record(
  {
    id: fc.uuid(),
    organizationId: fc.constantFrom('acme', 'org_b-2'),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.oneof(fc.constant(null), text),
    user: fc.oneof(fc.constant(null), fc.record({ email: text.map((t) => `${t}@example.com`), userName: text })),
    ipAddress: fc.oneof(fc.constant(null), fc.ipV4(), fc.ipV6()),
    responseTimeMs: fc.oneof(fc.constant(null), fc.nat()),
    pageName: fc.oneof(fc.constant(null), text),
    queryName: fc.oneof(fc.constant(null), text),
    resourceName: fc.oneof(fc.constant(null), text),
    metadata,
    createdAt: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z') }),
  },
  { requiredKeys: ['organizationId', 'actionType'] },
);
const now = new Date('2030-01-01T00:00:00Z');

describe('eventJson and metadataJson', () => {
  it('write exactly what JSON.stringify writes of every event validation accepts, and of a copy with other metadata', () => {
    let accepted = 0;
    fc.assert(
      fc.property(input, (emitted) => {
        const result = validateEvent(emitted, { now });
        if (!result.ok) return;
        accepted++;
        const { event } = result;
        expect(eventJson(event)).toBe(JSON.stringify(event));
        expect(metadataJson(event.metadata)).toBe(JSON.stringify(event.metadata));
        // A changed copy (as redaction makes one) is serialised anew, never served the original's text.
        const redacted = { ...event, metadata: { ...event.metadata, hidden: true } };
        expect(eventJson(redacted)).toBe(JSON.stringify(redacted));
      }),
      { numRuns: 500 },
    );
    // The property says something only about accepted events: most generated ones must be.
    expect(accepted).toBeGreaterThan(250);
  });

  it('serve the text the bus re-check measured for the metadata of an event read from the bus', () => {
    fc.assert(
      fc.property(input, (emitted) => {
        const result = validateEvent(emitted, { now });
        if (!result.ok) return;
        const event = canonicalEventOf(JSON.parse(JSON.stringify(result.event)));
        if (event === undefined) throw new Error('the bus re-check refused an event validation made');
        expect(metadataJson(event.metadata)).toBe(JSON.stringify(event.metadata));
        expect(eventJson(event)).toBe(JSON.stringify(result.event));
      }),
      { numRuns: 300 },
    );
  });

  it('write the same text when the metadata is large enough for its text to be kept', () => {
    // Above 512 characters the kept text is used and the event is written in pieces.
    const large = input.map((e) => ({ ...e, metadata: { ...e.metadata, padding: 'x'.repeat(600) } }));
    fc.assert(
      fc.property(large, (emitted) => {
        const result = validateEvent(emitted, { now });
        if (!result.ok) return;
        expect(eventJson(result.event)).toBe(JSON.stringify(result.event));
        const read = canonicalEventOf(JSON.parse(JSON.stringify(result.event)));
        if (read === undefined) throw new Error('the bus re-check refused an event validation made');
        expect(eventJson(read)).toBe(JSON.stringify(result.event));
      }),
      { numRuns: 300 },
    );
  });

  it('do not serialise large metadata again, and write an event with small metadata in one JSON.stringify', () => {
    const large = validateEvent({ organizationId: 'acme', actionType: 'QUERY_RUN', metadata: { query: 'q'.repeat(2_000) } }, { now });
    const small = validateEvent({ organizationId: 'acme', actionType: 'LOGIN', metadata: { method: 'sso' } }, { now });
    if (!large.ok || !small.ok) throw new Error('refused');
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      metadataJson(large.event.metadata);
      expect(stringify).not.toHaveBeenCalledWith(large.event.metadata);
      eventJson(large.event);
      expect(stringify).not.toHaveBeenCalledWith(large.event.metadata);
      stringify.mockClear();
      eventJson(small.event);
      expect(stringify.mock.calls).toEqual([[small.event]]);
    } finally {
      stringify.mockRestore();
    }
  });

  it('serialise metadata no validator saw', () => {
    expect(metadataJson({ a: [1, { b: 'c' }], when: new Date(0) })).toBe('{"a":[1,{"b":"c"}],"when":"1970-01-01T00:00:00.000Z"}');
  });
});
