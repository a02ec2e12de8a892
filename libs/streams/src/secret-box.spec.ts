import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SecretBox, secretKeyOf } from './secret-box';

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, for the same stream only, and the sealed text holds no secret', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.string({ minLength: 8 }), (id, other, secret) => {
        const sealed = box.seal(id, { token: secret });
        expect(box.open(id, sealed)).toEqual({ token: secret });
        expect(sealed).not.toContain(secret);
        if (other !== id) expect(() => box.open(other, sealed)).toThrow();
      }),
    );
  });

  it('refuses a tampered or foreign text', () => {
    const sealed = box.seal('s1', { apiKey: 'k' });
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open('s1', parts.join('.'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open('s1', sealed)).toThrow();
    expect(() => box.open('s1', 'plain text')).toThrow(/not in a known form/);
  });

  it('takes STREAMS_SECRET_KEY, else derives one from the token secret, else refuses to start', () => {
    const own = randomBytes(32);
    expect(secretKeyOf(own, undefined)).toBe(own);
    expect(secretKeyOf(undefined, new TextEncoder().encode('jwt-secret'))).toHaveLength(32);
    expect(() => secretKeyOf(undefined, undefined)).toThrow(/STREAMS_SECRET_KEY/);
  });
});
