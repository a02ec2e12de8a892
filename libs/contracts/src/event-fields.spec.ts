import fc from 'fast-check';
import { ACTION_TYPES } from './action-types';
import { EVENT_FIELDS, EVENT_FIELD_NAMES } from './event-fields';
import { validateEvent } from './validate';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const valid = { organizationId: 'acme', actionType: ACTION_TYPES[0] };

describe('the event field table', () => {
  it('names the fields of the canonical event, in its key order', () => {
    const result = validateEvent({ ...valid, userId: 'u1', user: { email: 'a@b.c', userName: 'A' } }, { now: NOW });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(Object.keys(result.event)).toEqual(EVENT_FIELD_NAMES);
  });

  it('nullable fields are null in an event that does not send them, the others are not', () => {
    const result = validateEvent(valid, { now: NOW });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    for (const field of EVENT_FIELDS) expect([field.name, result.event[field.name] === null]).toEqual([field.name, field.nullable]);
  });

  it('the validator refuses exactly the fields the table gives to ingest, and accepts the emitter fields', () => {
    for (const field of EVENT_FIELDS) {
      // "2" is wrong for every field, so only the reason tells which rule applied.
      const result = validateEvent({ ...valid, [field.name]: 2 }, { now: NOW });
      const reasons = result.ok ? [] : result.errors.filter((e) => e.path === field.name).map((e) => e.reason);
      if (field.setBy === 'ingest') expect(reasons.some((r) => r.startsWith('is set by ingest'))).toBe(true);
      else expect(reasons.some((r) => r.startsWith('is set by ingest') || r === 'is not a field of the event schema')).toBe(false);
    }
  });

  it("the validator applies each text field's length limit and empty-string rule from the table", () => {
    const textFields = EVENT_FIELDS.filter((f) => f.kind === 'text');
    fc.assert(
      fc.property(fc.constantFrom(...textFields), fc.integer({ min: 0, max: 2_000 }), (field, length) => {
        const result = validateEvent({ ...valid, [field.name]: 'x'.repeat(length) }, { now: NOW });
        const expectedOk = length <= field.maxLength && (length > 0 || field.allowEmpty);
        expect(result.ok).toBe(expectedOk);
        if (!result.ok && length > field.maxLength) {
          expect(result.errors).toContainEqual({ path: field.name, reason: `must be at most ${field.maxLength} characters (got ${length})` });
        }
      }),
    );
  });
});
