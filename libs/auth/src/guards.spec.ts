import type { ExecutionContext } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AppError } from '@audit/platform';
import { readAuthConfig } from './config';
import { AdminGuard } from './guards';
import type { TokenPrincipal } from './token-claims';
import { TokensService } from './tokens.service';

const SECRET = 'a-test-secret-that-is-long-enough-123';

type Req = { headers: Record<string, string>; raw: { rawHeaders: string[] }; tokenPrincipal?: TokenPrincipal };

/** A request with each header sent once, as Fastify hands it over: parsed, and the raw name/value pairs. */
const reqOf = (headers: Record<string, string>): Req => ({ headers, raw: { rawHeaders: Object.entries(headers).flat() } });

/** The reply's headers as the guard set them. */
const replyHeaders = new WeakMap<Req, Record<string, string>>();

/** The slice of Nest's ExecutionContext a guard reads: the HTTP request, and the reply it sets headers on. */
const contextOf = (req: Req): ExecutionContext => {
  const headers: Record<string, string> = {};
  replyHeaders.set(req, headers);
  const reply = { header: (name: string, value: string) => ((headers[name.toLowerCase()] = value), reply) };
  return { switchToHttp: () => ({ getRequest: () => req, getResponse: () => reply }) } as unknown as ExecutionContext;
};

async function admit(guard: AdminGuard, token: string): Promise<TokenPrincipal> {
  const req = reqOf({ authorization: `Bearer ${token}` });
  await guard.canActivate(contextOf(req));
  return req.tokenPrincipal as TokenPrincipal;
}

const refusal = (guard: AdminGuard, token: string): Promise<string> =>
  admit(guard, token).then(
    () => 'admitted',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );

describe('AdminGuard', () => {
  const T0 = Date.parse('2026-11-29T12:00:00Z');
  let tokens: TokensService;
  let guard: AdminGuard;
  let verify: jest.SpyInstance;

  beforeEach(() => {
    // Only the clock is faked: jose's crypto runs on real promises.
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    tokens = new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET }));
    verify = jest.spyOn(tokens, 'verify');
    guard = new AdminGuard(tokens);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('verifies a token once and admits it again from the cache while it is valid', async () => {
    const token = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 3600);
    for (let i = 0; i < 5; i++) expect(await admit(guard, token)).toEqual({ organizationId: 'acme', role: 'admin', userId: 'ada' });
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('refuses a cached token once it expired, as it would an uncached one', async () => {
    const token = await tokens.sign({ organizationId: 'acme', role: 'admin' }, 20);
    await admit(guard, token);
    jest.setSystemTime(T0 + 19_999);
    expect(await refusal(guard, token)).toBe('admitted');
    jest.setSystemTime(T0 + 20_000);
    expect(await refusal(guard, token)).toBe('UNAUTHENTICATED');
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('never caches a refusal: a bad token is checked, and refused, every time', async () => {
    const forged = await new SignJWT({ org: 'acme', role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-that-is-long-enough-456'));
    expect(await refusal(guard, forged)).toBe('UNAUTHENTICATED');
    expect(await refusal(guard, forged)).toBe('UNAUTHENTICATED');
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('refuses a member every time, cached or not', async () => {
    const member = await tokens.sign({ organizationId: 'acme', role: 'member' }, 3600);
    expect(await refusal(guard, member)).toBe('FORBIDDEN');
    expect(await refusal(guard, member)).toBe('FORBIDDEN');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('refuses a request without a bearer token', async () => {
    const req = reqOf({});
    await expect(guard.canActivate(contextOf(req))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('reads the token from Authorization: Bearer only, never from the ingest keys\' X-Api-Key', async () => {
    const token = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 3600);
    await admit(guard, token); // valid, and now cached: the refusal below is not a failed verification
    const req = reqOf({ 'x-api-key': token });
    await expect(guard.canActivate(contextOf(req))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('X-Api-Key') });
    expect(req.tokenPrincipal).toBeUndefined();
  });

  it('marks every admitted answer Cache-Control: no-store', async () => {
    const token = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'ada' }, 3600);
    const req = reqOf({ authorization: `Bearer ${token}` });
    await guard.canActivate(contextOf(req));
    expect(replyHeaders.get(req)).toEqual({ 'cache-control': 'no-store' });
  });

  it.each([
    ['empty', ''],
    ['300 characters long', 'u'.repeat(300)],
    ['holding a NUL', 'ada\u0000'],
    ['a number', 17],
  ])('refuses a token whose sub is %s, naming the claim', async (_what, sub) => {
    const token = await new SignJWT({ org: 'acme', role: 'admin', sub: sub as string }) // a number too: jose signs what it is given
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    await expect(admit(guard, token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringContaining('"sub"') });
  });
});
