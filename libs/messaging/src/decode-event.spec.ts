import fc from 'fast-check';
import { ACTION_TYPES, type AuditEvent } from '@audit/contracts';
import { canonicalEvent, plantedPrototypeKey } from '@audit/testing';
import { decodeCanonicalEvent, decodeCanonicalMessage, RECEIVED_AT_SKEW_MS, type CanonicalEnvelope } from './decode-event';
import { PermanentError } from './errors';
import { eventsSubject } from '@audit/bus-topology';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

/** Where ingest would have published the event, stored the moment it was received. */
const envelopeFor = (event: Pick<AuditEvent, 'organizationId' | 'actionType' | 'receivedAt'>): CanonicalEnvelope => ({
  subject: eventsSubject(event.organizationId, event.actionType),
  storedAtMs: Date.parse(event.receivedAt),
});

const failure = (data: Uint8Array, envelope: CanonicalEnvelope): string => {
  try {
    decodeCanonicalEvent(data, envelope);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return (error as PermanentError).message;
  }
  throw new Error('expected a PermanentError');
};

/** A forged payload, judged on the subject and at the time ingest would have used for the genuine event. */
const forged = (genuine: AuditEvent, changes: Record<string, unknown>): string =>
  failure(bytes({ ...genuine, ...changes }), envelopeFor(genuine));

const emitterInput = fc.record(
  {
    organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.option(fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\u0000'))),
    ipAddress: fc.option(fc.oneof(fc.ipV4(), fc.ipV6())),
    responseTimeMs: fc.option(fc.nat({ max: 1_000_000 })),
    pageName: fc.option(fc.string({ maxLength: 50 }).filter((s) => !s.includes('\u0000'))),
    // Keys the contract takes: fast-check draws "__proto__" among them on purpose, refused at any depth.
    metadata: fc.dictionary(fc.string({ maxLength: 10 }).filter((s) => !s.includes('\u0000') && s !== '__proto__'), fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 20 }).filter((s) => !s.includes('\u0000')))),
    createdAt: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  },
  { requiredKeys: ['organizationId', 'actionType'] },
);

describe('decodeCanonicalEvent', () => {
  const receivedAt = new Date('2030-06-01T00:00:00Z');

  it('returns every event ingest could have published, as it was published', () => {
    fc.assert(
      fc.property(emitterInput, (input) => {
        const event = canonicalEvent(input, receivedAt);
        expect(decodeCanonicalEvent(bytes(event), envelopeFor(event))).toEqual(event);
      }),
    );
  });

  it("hands back the message's text as the event's own JSON, single-line, or none", () => {
    fc.assert(
      fc.property(emitterInput, (input) => {
        const event = canonicalEvent(input, receivedAt);
        // As ingest publishes it: the text is exactly the event serialised, so a consumer may forward it as is.
        expect(decodeCanonicalMessage(bytes(event), envelopeFor(event)).text).toBe(JSON.stringify(event));
        // Spread over lines (valid JSON, never ingest's): no text, as a line break would split a JSON-lines record.
        const pretty = decodeCanonicalMessage(bytes(JSON.stringify(event, null, 2)), envelopeFor(event));
        expect(pretty.event).toEqual(event);
        expect(pretty.text).toBeUndefined();
      }),
    );
  });

  it('dead-letters an event published on another organization or action type than its own', () => {
    fc.assert(
      fc.property(emitterInput, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constantFrom(...ACTION_TYPES), (input, org, type) => {
        const event = canonicalEvent(input, receivedAt);
        fc.pre(org !== event.organizationId || type !== event.actionType);
        expect(failure(bytes(event), { ...envelopeFor(event), subject: eventsSubject(org, type) })).toBe(
          `subject audit.events.${org}.${type} does not match the event (organizationId "${event.organizationId}", actionType "${event.actionType}")`,
        );
      }),
    );
  });

  it('dead-letters an event on any subject but exactly its own (another prefix, a token more or less)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/);
    fc.assert(
      fc.property(emitterInput, fc.array(token, { minLength: 0, maxLength: 6 }), fc.nat({ max: 4 }), (input, tokens, shape) => {
        const event = canonicalEvent(input, receivedAt);
        const own = eventsSubject(event.organizationId, event.actionType);
        const subject = [tokens.join('.'), `${own}.${tokens.join('.')}`, `x${own}`, own.replace('audit.', 'audit.x'), `audit.events.${event.organizationId}`][shape];
        fc.pre(subject !== own);
        expect(failure(bytes(event), { ...envelopeFor(event), subject })).toMatch(/^subject .* does not match the event/);
      }),
    );
  });

  it('refuses what is not UTF-8, not JSON or not an object', () => {
    const envelope = { subject: 'audit.events.acme.LOGIN', storedAtMs: receivedAt.getTime() };
    const event = Buffer.from(JSON.stringify({ ...canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN' }), pageName: 'AB' }));
    // 0xFF is never UTF-8: a lenient decoder would store it as U+FFFD.
    event[event.indexOf('AB')] = 0xff;
    expect(failure(event, envelope)).toBe('payload is not valid UTF-8');
    expect(failure(bytes('{nope'), envelope)).toBe('payload is not JSON');
    expect(failure(bytes('null'), envelope)).toBe('payload is not an object');
    expect(failure(bytes([]), envelope)).toBe('payload is not an object');
  });

  it('dead-letters an event whose metadata holds a prototype key at any depth, naming its path, as the HTTP edge refuses it (property)', () => {
    const genuine = canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN' }, receivedAt);
    fc.assert(
      // 50 levels under metadata.m: deeper, the depth limit (64) would speak first.
      fc.property(plantedPrototypeKey(50), ({ value, path, key }) => {
        // Published on the bus as if ingest had passed it (a forged or pre-rule message): the re-check refuses it.
        const reason = failure(bytes({ ...genuine, metadata: { m: value } }), envelopeFor(genuine));
        const where = `metadata.m${path.startsWith('[') ? path : `.${path}`}`;
        expect(reason.startsWith(`not a canonical event: ${where} is a "${key}" key`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  describe('the forgeries of the review, each dead-lettered with its reason', () => {
    const genuine = canonicalEvent({ organizationId: 'acme', actionType: 'QUERY_RUN', queryName: 'q', metadata: { query: 'select 1' } }, receivedAt);

    it('metadata over 32 KiB', () => {
      expect(forged(genuine, { metadata: { blob: 'x'.repeat(900_000) } })).toMatch(/^not a canonical event: metadata must serialise to at most 32768 bytes/);
    });

    it('a 100,000-character page name', () => {
      expect(forged(genuine, { pageName: 'p'.repeat(100_000) })).toBe('not a canonical event: pageName must be at most 1024 characters (got 100000)');
    });

    it('createdAt in 2200', () => {
      expect(forged(genuine, { createdAt: '2200-01-01T00:00:00.000Z' })).toMatch(/^not a canonical event: createdAt must be at most 5 minutes in the future/);
    });

    it('receivedAt after the stream stored the message, or not as ingest writes it', () => {
      const late = new Date(receivedAt.getTime() + RECEIVED_AT_SKEW_MS + 1).toISOString();
      expect(forged(genuine, { receivedAt: late })).toBe(
        `not a canonical event: receivedAt ${late} is after the stream stored the message (${receivedAt.toISOString()})`,
      );
      expect(forged(genuine, { receivedAt: '2030-06-01T02:00:00+02:00' })).toMatch(/^not a canonical event: receivedAt must be an ISO-8601 instant/);
      expect(forged(genuine, { receivedAt: undefined })).toMatch(/^not a canonical event: receivedAt must be an ISO-8601 instant/);
    });

    it("an event of globex on an acme subject", () => {
      expect(forged(genuine, { organizationId: 'globex' })).toBe(
        'subject audit.events.acme.QUERY_RUN does not match the event (organizationId "globex", actionType "QUERY_RUN")',
      );
    });

    it('fields missing, added, or in a form ingest does not write', () => {
      const withoutUser: Record<string, unknown> = { ...genuine };
      delete withoutUser['user'];
      expect(failure(bytes(withoutUser), envelopeFor(genuine))).toBe('not a canonical event: user not as ingest writes them');
      expect(forged(genuine, { id: genuine.id.toUpperCase(), createdAt: '2030-06-01T02:00:00+02:00' })).toBe(
        'not a canonical event: id, createdAt not as ingest writes them',
      );
      expect(forged(genuine, { schemaVersion: 2, extra: true })).toMatch(/^not a canonical event: schemaVersion is set by ingest.*; extra is not a field of the event schema$/);
      expect(forged(genuine, { actionType: 'DANCE' })).toMatch(/^not a canonical event: actionType must be one of the 34 action types/);
    });
  });
});
