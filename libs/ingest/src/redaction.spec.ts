import fc from 'fast-check';
import { findPrototypeKey, validateEvent, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { redact, type RedactionPolicy } from './redaction';

const event = (input: Partial<AuditEventInput>): AuditEvent => {
  const result = validateEvent({ organizationId: 'org_a', actionType: 'QUERY_RUN', ...input }, { now: new Date('2026-03-01T00:00:00Z') });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.event;
};

const policy = (hideAllHeaders: boolean, ...queries: string[]): RedactionPolicy => ({ hideAllHeaders, hiddenParameterQueries: new Set(queries) });

const metadata = { query: 'select * from t where id = {{id}}', parameters: { id: 42 }, headers: { authorization: 'Bearer x' }, other: [1, 2] };

describe('redact', () => {
  it('removes metadata.headers when every header is hidden, and nothing else', () => {
    const redacted = redact(event({ queryName: 'getUser', metadata }), policy(true));
    expect(redacted.metadata).toEqual({ query: metadata.query, parameters: { id: 42 }, other: [1, 2] });
  });

  it('removes metadata.parameters only for the named queries of the policy', () => {
    expect(redact(event({ queryName: 'getUser', metadata }), policy(false, 'getUser')).metadata).toEqual({
      query: metadata.query,
      headers: { authorization: 'Bearer x' },
      other: [1, 2],
    });
    expect(redact(event({ queryName: 'listUsers', metadata }), policy(false, 'getUser')).metadata).toEqual(metadata);
    // Names match exactly: no case folding, no prefix match.
    expect(redact(event({ queryName: 'GetUser', metadata }), policy(false, 'getUser')).metadata).toEqual(metadata);
    expect(redact(event({ queryName: null, metadata }), policy(false, 'getUser')).metadata).toEqual(metadata);
  });

  it('applies both rules together', () => {
    expect(redact(event({ queryName: 'getUser', metadata }), policy(true, 'getUser')).metadata).toEqual({ query: metadata.query, other: [1, 2] });
  });

  it('keeps every other field of the event', () => {
    const input = event({ queryName: 'getUser', userId: 'u1', pageName: 'p', resourceName: 'r', responseTimeMs: 12, metadata });
    const redacted = redact(input, policy(true, 'getUser'));
    expect({ ...redacted, metadata: null }).toEqual({ ...input, metadata: null });
  });

  it('leaves the input untouched and shares no redacted object with it', () => {
    const input = event({ queryName: 'getUser', metadata });
    const snapshot = structuredClone(input);
    const redacted = redact(input, policy(true, 'getUser'));
    expect(input).toEqual(snapshot);
    expect(redacted).not.toBe(input);
    expect(redacted.metadata).not.toBe(input.metadata);
  });

  it('returns the event as is when there is nothing to hide', () => {
    const input = event({ queryName: 'getUser', metadata: { query: 'select 1' } });
    expect(redact(input, policy(true, 'getUser'))).toBe(input);
    const withHeaders = event({ queryName: 'getUser', metadata });
    expect(redact(withHeaders, policy(false))).toBe(withHeaders);
  });

  it('removes headers in every container the contract allows, whatever their case', () => {
    const md = {
      Headers: { cookie: 'c' },
      HEADERS: ['x'],
      request: { headers: { authorization: 'Bearer x' }, method: 'POST', Headers: 'h' },
      Request: { HeAdErS: {}, url: '/q' },
      response: { headers: { 'set-cookie': 's' } },
      other: { headers: 'kept: only metadata and metadata.request are header containers' },
    };
    expect(redact(event({ metadata: md }), policy(true)).metadata).toEqual({
      request: { method: 'POST' },
      Request: { url: '/q' },
      response: { headers: { 'set-cookie': 's' } },
      other: { headers: 'kept: only metadata and metadata.request are header containers' },
    });
  });

  it('hides parameters of the named query, exactly as named, in the same containers and in any key case', () => {
    const md = { Parameters: { id: 1 }, request: { parameters: [1], PARAMETERS: 2, body: 'b' }, query: 'select 1' };
    expect(redact(event({ queryName: 'getUser', metadata: md }), policy(false, 'getUser')).metadata).toEqual({ request: { body: 'b' }, query: 'select 1' });
    // The rule's query name is case-sensitive: another spelling is another query.
    expect(redact(event({ queryName: 'getuser', metadata: md }), policy(false, 'getUser')).metadata).toEqual(md);
  });

  it('leaves no header container behind and changes nothing else, for any metadata', () => {
    const key = fc.oneof(fc.constantFrom('headers', 'Headers', 'HEADERS', 'hEaDeRs', 'request', 'Request', 'parameters', 'x'), fc.string({ maxLength: 8 }));
    // fast-check draws "__proto__" and "constructor" among keys on purpose; the contract refuses them at any depth.
    const metadata = fc
      .dictionary(key, fc.oneof(fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.jsonValue({ maxDepth: 2 })), { maxKeys: 6 })
      .filter((m) => findPrototypeKey(m, 'metadata') === undefined);
    fc.assert(
      fc.property(metadata, (raw) => {
        const input = event({ metadata: raw as Record<string, unknown> });
        const snapshot = structuredClone(input);
        const out = redact(input, policy(true)).metadata;
        expect(input).toEqual(snapshot);
        const isHeaders = (k: string): boolean => k.toLowerCase() === 'headers';
        for (const [k, v] of Object.entries(out)) {
          expect(isHeaders(k)).toBe(false);
          if (k.toLowerCase() === 'request' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
            expect(Object.keys(v).filter(isHeaders)).toEqual([]);
            const before = input.metadata[k] as Record<string, unknown>;
            expect(v).toEqual(Object.fromEntries(Object.entries(before).filter(([inner]) => !isHeaders(inner))));
          } else {
            expect(v).toEqual(input.metadata[k]);
          }
        }
        expect(Object.keys(out)).toEqual(Object.keys(input.metadata).filter((k) => !isHeaders(k)));
      }),
      { numRuns: 500 },
    );
  });
});
