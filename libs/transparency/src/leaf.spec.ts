import { ACTION_TYPES, findPrototypeKey, validateEvent, type AuditEvent } from '@audit/contracts';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  commitmentOf,
  CONTENT_FIELDS,
  IDENTITY_FIELDS,
  LeafError,
  leafBytesOf,
  leafHash,
  makeSalt,
  parseLeafBytes,
  verifyEventLeaf,
  type LeafV1,
  type StoredEventRow,
} from './index';

const NOW = new Date('2026-03-01T12:00:00.000Z');

/** Valid canonical events, made by the contract's own validator from varied input. */
const eventArb: fc.Arbitrary<AuditEvent> = fc
  .record({
    id: fc.uuid({ version: 7 }),
    organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/),
    actionType: fc.constantFrom(...ACTION_TYPES),
    userId: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
    user: fc.option(fc.record({ email: fc.emailAddress(), userName: fc.string({ minLength: 1, maxLength: 10 }) }), { nil: null }),
    ipAddress: fc.option(fc.ipV4(), { nil: null }),
    responseTimeMs: fc.option(fc.nat(100_000), { nil: null }),
    pageName: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
    queryName: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
    resourceName: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: null }),
    // fast-check draws "__proto__" and "constructor" among keys on purpose; the contract refuses them at any depth.
    metadata: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).filter((m) => findPrototypeKey(m, 'metadata') === undefined),
    createdAt: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: NOW, noInvalidDate: true }).map((d) => d.toISOString()),
  })
  .map((input) => {
    const result = validateEvent(input, { now: NOW });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.event;
  });

/** What the sealer would store for an event: the row with its commitment and salt, and the leaf. */
function seal(event: AuditEvent): { row: StoredEventRow; leaf: LeafV1 } {
  const salt = makeSalt();
  const commitment = commitmentOf(event, salt);
  const row: StoredEventRow = { ...event, commitment, salt };
  return { row, leaf: parseLeafBytes(leafBytesOf(event, commitment)) };
}

/** What erasure leaves: identity, times and commitment; no content, no salt. */
function erase(row: StoredEventRow): StoredEventRow {
  return { ...row, userId: null, user: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null, metadata: {}, salt: null };
}

describe('leaf format, version 1', () => {
  it('matches the documented example byte for byte (commitment and leaf computed here from the literal JCS text)', () => {
    const salt = Buffer.alloc(32, 7).toString('base64');
    const event = {
      id: '0190f0c8-8a4e-7c3b-9d2a-5e6f7a8b9c0d',
      organizationId: 'acme',
      actionType: 'QUERY_RUN',
      userId: 'u-1',
      user: { userName: 'Ada', email: 'ada@example.com' },
      ipAddress: '192.0.2.1',
      responseTimeMs: 12,
      pageName: null,
      queryName: 'orders',
      resourceName: null,
      metadata: { query: 'select 1', parameters: { b: 2, a: 1 } },
      createdAt: '2026-03-01T12:00:00.000Z',
      receivedAt: '2026-03-01T12:00:00.250Z',
    } as const;
    const contentJcs =
      '{"content":{"ipAddress":"192.0.2.1","metadata":{"parameters":{"a":1,"b":2},"query":"select 1"},"pageName":null,"queryName":"orders",' +
      '"resourceName":null,"responseTimeMs":12,"user":{"email":"ada@example.com","userName":"Ada"},"userId":"u-1"},' +
      `"salt":"${salt}","v":1}`;
    const commitment = createHash('sha256').update(contentJcs, 'utf8').digest('base64');
    expect(commitmentOf(event as unknown as AuditEvent, salt)).toBe(commitment);
    const leafJcs = `{"actionType":"QUERY_RUN","commitment":"${commitment}","createdAt":"2026-03-01T12:00:00.000Z","id":"0190f0c8-8a4e-7c3b-9d2a-5e6f7a8b9c0d","organizationId":"acme","receivedAt":"2026-03-01T12:00:00.250Z","v":1}`;
    expect(leafBytesOf(event, commitment).toString('utf8')).toBe(leafJcs);
    expect(leafHash(leafBytesOf(event, commitment)).equals(createHash('sha256').update(Buffer.from([0])).update(leafJcs).digest())).toBe(true);
  });

  it('a stored event as sealed is verified, also read back from Postgres (Dates, jsonb key order)', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const { row, leaf } = seal(event);
        expect(verifyEventLeaf(row, leaf)).toEqual({ status: 'verified' });
        const reordered = Object.fromEntries(Object.entries(row.metadata ?? {}).reverse());
        const fromDb: StoredEventRow = { ...row, createdAt: new Date(event.createdAt), receivedAt: new Date(event.receivedAt), metadata: reordered };
        expect(verifyEventLeaf(fromDb, leaf)).toEqual({ status: 'verified' });
      }),
    );
  });

  it('an erased event (content and salt removed, commitment kept) is content-erased, never tampered', () => {
    fc.assert(
      fc.property(eventArb, fc.boolean(), (event, metadataNull) => {
        const { row, leaf } = seal(event);
        const erased = { ...erase(row), metadata: metadataNull ? null : {} };
        expect(verifyEventLeaf(erased, leaf)).toEqual({ status: 'content-erased' });
      }),
    );
  });

  it('names the identity field that was changed', () => {
    fc.assert(
      fc.property(eventArb, fc.constantFrom(...IDENTITY_FIELDS), fc.boolean(), (event, field, erased) => {
        const { row, leaf } = seal(event);
        const base = erased ? erase(row) : row;
        const changed: StoredEventRow =
          field === 'createdAt' || field === 'receivedAt'
            ? { ...base, [field]: new Date(new Date(event[field]).getTime() + 1).toISOString() }
            : { ...base, [field]: `${event[field]}x` };
        expect(verifyEventLeaf(changed, leaf)).toEqual({ status: 'tampered', parts: [field] });
      }),
    );
  });

  it('reports changed content as tampered content, whichever content field changed', () => {
    fc.assert(
      fc.property(eventArb, fc.constantFrom(...CONTENT_FIELDS), (event, field) => {
        const { row, leaf } = seal(event);
        const changedValue: Record<(typeof CONTENT_FIELDS)[number], unknown> = {
          userId: `${event.userId ?? ''}x`,
          user: { email: 'mallory@example.com', userName: 'Mallory' },
          ipAddress: event.ipAddress === '203.0.113.9' ? '203.0.113.8' : '203.0.113.9',
          responseTimeMs: (event.responseTimeMs ?? 0) + 1,
          pageName: `${event.pageName ?? ''}x`,
          queryName: `${event.queryName ?? ''}x`,
          resourceName: `${event.resourceName ?? ''}x`,
          metadata: { ...event.metadata, injected: true },
        };
        expect(verifyEventLeaf({ ...row, [field]: changedValue[field] } as StoredEventRow, leaf)).toEqual({ status: 'tampered', parts: ['content'] });
      }),
    );
  });

  it('refuses content kept without its salt, and a commitment that is not the sealed one', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const { row, leaf } = seal(event);
        const anyContent = { ...row, pageName: 'still here', salt: null };
        expect(verifyEventLeaf(anyContent, leaf)).toEqual({ status: 'tampered', parts: ['salt'] });
        // Forged content with a fresh salt and its recomputed commitment: neither matches the sealed leaf.
        const salt = makeSalt();
        const forged = { ...row, pageName: 'forged', salt, commitment: commitmentOf({ ...event, pageName: 'forged' }, salt) };
        expect(verifyEventLeaf(forged, leaf)).toEqual({ status: 'tampered', parts: ['commitment', 'content'] });
        // The sealed content and salt with a changed stored commitment: only the commitment differs.
        expect(verifyEventLeaf({ ...row, commitment: commitmentOf(event, makeSalt()) }, leaf)).toEqual({ status: 'tampered', parts: ['commitment'] });
      }),
    );
  });

  it('hides the content: the same event under two salts has unrelated commitments', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        expect(commitmentOf(event, makeSalt())).not.toBe(commitmentOf(event, makeSalt()));
      }),
    );
  });

  it('reads back only canonical version-1 leaves', () => {
    const event = { id: 'i', organizationId: 'o', actionType: 'QUERY_RUN', createdAt: '2026-03-01T12:00:00.000Z', receivedAt: '2026-03-01T12:00:00.000Z' };
    const commitment = Buffer.alloc(32).toString('base64');
    const bytes = leafBytesOf(event, commitment);
    expect(parseLeafBytes(bytes)).toEqual({ v: 1, ...event, commitment });
    const text = bytes.toString('utf8');
    const bad = [
      text.replace('{', '{ '), // not canonical: white space
      JSON.stringify({ v: 1, ...event, commitment }), // not canonical: key order
      text.replace('"v":1', '"v":2'),
      text.replace('}', ',"extra":"x"}'),
      text.replace(`"id":"i"`, `"id":1`),
      text.replace(commitment, 'AAAA'),
      text.replace('2026-03-01T12:00:00.000Z', '2026-03-01T12:00:00Z'),
      '[]',
      '{',
    ];
    for (const b of bad) expect(() => parseLeafBytes(Buffer.from(b))).toThrow(LeafError);
    expect(() => leafBytesOf(event, 'short')).toThrow(LeafError);
    expect(() => leafBytesOf({ ...event, createdAt: 'yesterday' }, commitment)).toThrow(LeafError);
    expect(() => commitmentOf({ userId: null } as unknown as AuditEvent, makeSalt())).toThrow(LeafError);
  });
});
