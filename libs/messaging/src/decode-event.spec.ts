import { canonicalEvent } from '@audit/testing';
import { decodeCanonicalEvent } from './decode-event';
import { PermanentError } from './errors';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

const failure = (data: Uint8Array): PermanentError => {
  try {
    decodeCanonicalEvent(data);
  } catch (error) {
    expect(error).toBeInstanceOf(PermanentError);
    return error as PermanentError;
  }
  throw new Error('expected a PermanentError');
};

describe('decodeCanonicalEvent', () => {
  it('returns a canonical event as it was published', () => {
    const event = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN', userId: 'u', metadata: { a: 1 } });
    expect(decodeCanonicalEvent(bytes(event))).toEqual(event);
  });

  it('refuses what is not JSON or not an object', () => {
    expect(failure(bytes('{nope')).message).toBe('payload is not JSON');
    expect(failure(bytes('null')).message).toBe('payload is not an object');
    expect(failure(bytes('42')).message).toBe('payload is not an object');
  });

  it('names every column it cannot store', () => {
    expect(failure(bytes({ organizationId: 'org_a' })).message).toBe('not a canonical event: bad id, actionType, createdAt, receivedAt, metadata');
    const event = canonicalEvent({ organizationId: 'org_a', actionType: 'LOGIN' });
    expect(failure(bytes({ ...event, id: 'not-a-uuid', actionType: 'DANCE' })).message).toBe('not a canonical event: bad id, actionType');
    expect(failure(bytes({ ...event, createdAt: 'yesterday', metadata: [] })).message).toBe('not a canonical event: bad createdAt, metadata');
    expect(failure(bytes({ ...event, organizationId: 7, receivedAt: null })).message).toBe('not a canonical event: bad organizationId, receivedAt');
  });
});
