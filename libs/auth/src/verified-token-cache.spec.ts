import { SignJWT } from 'jose';
import { TOKEN_CACHE_MAX_MS, VerifiedTokenCache } from './verified-token-cache';
import type { TokenPrincipal } from './token-claims';

const SECRET = new TextEncoder().encode('a-test-secret-that-is-long-enough-123');
const T0 = Date.parse('2026-11-29T12:00:00Z');
const ADMIN: TokenPrincipal = { organizationId: 'acme', role: 'admin', userId: 'u-1' };

const token = (exp?: number, sub = 'u-1'): Promise<string> => {
  let jwt = new SignJWT({ org: 'acme', role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub);
  if (exp !== undefined) jwt = jwt.setExpirationTime(exp);
  return jwt.sign(SECRET);
};

describe('VerifiedTokenCache', () => {
  let now = T0;
  const cache = (): VerifiedTokenCache => new VerifiedTokenCache(() => now);

  beforeEach(() => {
    now = T0;
  });

  it("serves a remembered token until its exp, and not one millisecond after", async () => {
    const t = await token(T0 / 1000 + 30);
    const c = cache();
    c.remember(t, ADMIN);
    now = T0 + 29_999;
    expect(c.get(t)).toEqual(ADMIN);
    now = T0 + 30_000;
    expect(c.get(t)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('re-verifies a long-lived token, or one without exp, after the cap', async () => {
    const c = cache();
    const long = await token(T0 / 1000 + 86_400);
    const endless = await token(undefined, 'u-2');
    c.remember(long, ADMIN);
    c.remember(endless, { ...ADMIN, userId: 'u-2' });
    now = T0 + TOKEN_CACHE_MAX_MS - 1;
    expect(c.get(long)).toEqual(ADMIN);
    expect(c.get(endless)).toEqual({ ...ADMIN, userId: 'u-2' });
    now = T0 + TOKEN_CACHE_MAX_MS;
    expect(c.get(long)).toBeUndefined();
    expect(c.get(endless)).toBeUndefined();
  });

  it('does not keep a token that has already expired', async () => {
    const c = cache();
    c.remember(await token(T0 / 1000), ADMIN);
    expect(c.size).toBe(0);
  });

  it('matches the whole token: the same claims under another signature miss', async () => {
    const c = cache();
    const t = await token(T0 / 1000 + 60);
    c.remember(t, ADMIN);
    const forged = `${t.slice(0, t.lastIndexOf('.') + 1)}${Buffer.from('not the signature').toString('base64url')}`;
    expect(c.get(forged)).toBeUndefined();
    expect(c.get(t)).toEqual(ADMIN);
  });

  it('drops the oldest entries beyond its size', async () => {
    const c = new VerifiedTokenCache(() => now, TOKEN_CACHE_MAX_MS, 2);
    const [a, b, d] = await Promise.all(['a', 'b', 'd'].map((sub) => token(T0 / 1000 + 60, sub)));
    c.remember(a, ADMIN);
    c.remember(b, ADMIN);
    c.remember(d, ADMIN);
    expect(c.size).toBe(2);
    expect(c.get(a)).toBeUndefined();
    expect(c.get(b)).toEqual(ADMIN);
    expect(c.get(d)).toEqual(ADMIN);
  });
});
