import { SignJWT } from 'jose';
import { parseTtlSeconds } from './duration';
import { readAuthConfig } from './config';
import { InvalidTokenError } from './token-claims';
import { TokenRequestError, TokensService } from './tokens.service';

const SECRET = 'a-test-secret-that-is-long-enough-123';

describe('TokensService (HS256)', () => {
  const tokens = new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET }));

  it('round-trips org, role and subject', async () => {
    const token = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'u-1' }, 60);
    await expect(tokens.verify(token)).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'u-1' });
  });

  it('rejects a token signed with another secret', async () => {
    const other = new TokensService(readAuthConfig({ AUTH_JWT_SECRET: 'another-secret-that-is-long-enough-456' }));
    const token = await other.sign({ organizationId: 'acme', role: 'admin' }, 60);
    await expect(tokens.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('rejects an expired token', async () => {
    const token = await new SignJWT({ org: 'acme', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
      .sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(token)).rejects.toThrow(/exp/);
  });

  it.each([
    [{ role: 'admin' }, /org/],
    [{ org: 'bad org!', role: 'admin' }, /org/],
    [{ org: 'acme', role: 'owner' }, /role/],
  ])('rejects claims %j', async (claims, reason) => {
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(token)).rejects.toThrow(reason);
  });

  it('refuses a token without exp, however well signed', async () => {
    const forever = await new SignJWT({ org: 'acme', role: 'admin', sub: 'ada' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verify(forever)).rejects.toThrow(/"exp" is required/);
  });

  it('refuses a token living longer than AUTH_MAX_TOKEN_LIFETIME, and mints none', async () => {
    const short = new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: '1h' }));
    const long = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 7200);
    await expect(tokens.verify(long)).resolves.toMatchObject({ userId: 'ada' });
    await expect(short.verify(long)).rejects.toThrow(/"exp" is more than the longest token lifetime of 3600s/);
    await expect(short.sign({ organizationId: 'acme', role: 'admin' }, 3601)).rejects.toMatchObject({ field: 'ttlSeconds' });
    await expect(tokens.sign({ organizationId: 'acme', role: 'admin' }, 86_401)).rejects.toBeInstanceOf(TokenRequestError);
    await expect(short.verify(await short.sign({ organizationId: 'acme', role: 'admin' }, 3600))).resolves.toMatchObject({ organizationId: 'acme' });
  });

  it('mints no token the guard would refuse: a bad subject or organization is named', async () => {
    await expect(tokens.sign({ organizationId: 'acme', role: 'admin', userId: '' }, 60)).rejects.toMatchObject({ field: 'userId' });
    await expect(tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'a\u0000' }, 60)).rejects.toMatchObject({ field: 'userId' });
    await expect(tokens.sign({ organizationId: 'ac me', role: 'admin' }, 60)).rejects.toMatchObject({ field: 'organizationId' });
  });

  it('refuses alg none and garbage', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"org":"acme","role":"admin"}').toString('base64url')}.`;
    await expect(tokens.verify(unsigned)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(tokens.verify('not-a-token')).rejects.toBeInstanceOf(InvalidTokenError);
  });
});

describe('auth configuration', () => {
  it('refuses a short secret, naming the variable', () => {
    expect(() => readAuthConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/AUTH_JWT_SECRET/);
  });

  it('reads the longest token lifetime (24h by default), naming a bad value', () => {
    expect(readAuthConfig({ AUTH_JWT_SECRET: SECRET }).maxTokenLifetimeSeconds).toBe(86_400);
    expect(readAuthConfig({ AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: '15m' }).maxTokenLifetimeSeconds).toBe(900);
    expect(() => readAuthConfig({ AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: 'forever' })).toThrow(/AUTH_MAX_TOKEN_LIFETIME/);
    expect(() => readAuthConfig({ AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: '500ms' })).toThrow(/AUTH_MAX_TOKEN_LIFETIME/);
  });

  it('parses token lifetimes', () => {
    expect(parseTtlSeconds('90s')).toBe(90);
    expect(parseTtlSeconds('1h')).toBe(3600);
    expect(parseTtlSeconds('7d')).toBe(604_800);
    expect(() => parseTtlSeconds('0h')).toThrow(/ttl/);
    expect(() => parseTtlSeconds('soon')).toThrow(/ttl/);
  });
});
