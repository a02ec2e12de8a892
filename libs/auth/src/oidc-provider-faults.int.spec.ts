import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type KeyLike } from 'jose';
import { AppError } from '@audit/platform';
import { readAuthConfig } from './config';
import { MAX_PROVIDER_DOCUMENT_BYTES } from './oidc-keys';
import { InvalidTokenError } from './token-claims';
import { TokensService } from './tokens.service';

jest.setTimeout(30_000);

const CLIENT = 'audit-console';

/** How the provider's key set answers, case by case. */
type JwksMode = 'ok' | 'error' | 'stall' | 'huge' | 'redirect' | 'not-a-key-set';

/**
 * An identity provider on loopback that publishes a discovery document and a key set whose private key
 * this spec holds, so it can sign whatever claims a hostile or broken token carries, and whose key set
 * can fail the ways a real provider's can (an error status, a stalled body, a flood, a redirect).
 */
class LoopbackProvider {
  mode: JwksMode = 'ok';
  jwksRequests = 0;
  issuer = '';
  private server?: Server;
  private readonly stalled = new Set<ServerResponse>();

  constructor(
    private readonly privateKey: KeyLike,
    private readonly jwk: JWK,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.issuer = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: this.issuer, aud: CLIENT, sub: 'alice', org: 'acme', role: 'admin', iat: now, exp: now + 300, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header })
      .sign(this.privateKey);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks` }));
      return;
    }
    this.jwksRequests++;
    switch (this.mode) {
      case 'ok':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [{ ...this.jwk, kid: 'k1', alg: 'ES256', use: 'sig' }] }));
        return;
      case 'error':
        res.statusCode = 500;
        res.end('upstream broke');
        return;
      case 'stall':
        // Headers and the start of the set, then nothing: the socket stays open.
        res.setHeader('content-type', 'application/json');
        res.write('{"keys":[');
        this.stalled.add(res);
        return;
      case 'huge': {
        // An endless key set, sent without a length.
        res.setHeader('content-type', 'application/json');
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.write('{"keys":[');
        pump();
        return;
      }
      case 'redirect':
        res.statusCode = 302;
        res.setHeader('location', 'http://169.254.169.254/latest/meta-data/');
        res.end();
        return;
      case 'not-a-key-set':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: 'none' }));
        return;
    }
  }
}

const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => 'admitted', (error: unknown) => error);

describe("an identity provider's tokens, forged, and its key set, failing", () => {
  let provider: LoopbackProvider;
  let publicJwk: JWK;
  let publicPem: string;
  const tokens = (): TokensService =>
    new TokensService(readAuthConfig({ AUTH_JWT_SECRET: 'x'.repeat(32), AUTH_OIDC_ISSUER: provider.issuer, AUTH_OIDC_CLIENT_ID: CLIENT }));

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    publicJwk = await exportJWK(publicKey);
    publicPem = await exportSPKI(publicKey);
    provider = new LoopbackProvider(privateKey, publicJwk);
    await provider.start();
  });

  afterAll(() => provider?.stop());

  beforeEach(() => {
    provider.mode = 'ok';
    provider.jwksRequests = 0;
  });

  it('admits a well-formed token of the provider, also one with several audiences issued to the console (azp)', async () => {
    await expect(tokens().verify(await provider.sign({}))).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'alice' });
    await expect(tokens().verify(await provider.sign({ aud: [CLIENT, 'another-app'], azp: CLIENT }))).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'alice' });
  });

  it.each([
    ['no subject', { sub: undefined }, 'token claim "sub" is required'],
    ['another audience', { aud: 'another-client' }, 'token claim "aud" is not the value this platform expects'],
    ['the console among the audiences of a token issued to another client', { aud: ['another-app', CLIENT], azp: 'another-app' }, 'token claim "azp" names another client'],
    ['an expiry in the past', { exp: Math.floor(Date.now() / 1000) - 60 }, 'the token has expired'],
    ['a not-before in the future', { nbf: Math.floor(Date.now() / 1000) + 600 }, 'token claim "nbf"'],
    ['no expiry', { exp: undefined }, 'token claim "exp" is required'],
  ])('refuses (401, naming the claim) a token with %s', async (_what, claims, message) => {
    const error = await failure(tokens().verify(await provider.sign(claims)));
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toContain(message);
  });

  it('refuses an unsigned token (alg none) and one signed HS256 with the public key as the secret', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'mallory', org: 'acme', role: 'admin' }).setIssuer(provider.issuer).setAudience(CLIENT).setIssuedAt().setExpirationTime('5m').encode();
    for (const secret of [publicPem, JSON.stringify(publicJwk)]) {
      const confused = await new SignJWT({ sub: 'mallory', org: 'acme', role: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .setIssuer(provider.issuer)
        .setAudience(CLIENT)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
      expect(await failure(tokens().verify(confused))).toBeInstanceOf(InvalidTokenError);
    }
    expect(await failure(tokens().verify(unsigned))).toBeInstanceOf(InvalidTokenError);
  });

  it.each([
    ['answers 500', 'error' as const, /signing keys at http:\/\/127\.0\.0\.1:\d+\/jwks could not be read \(HTTP 500\)/],
    ['redirects (to a cloud metadata address)', 'redirect' as const, /could not be read \(HTTP 302: redirects are not followed\)/],
    ['is not a key set', 'not-a-key-set' as const, /are not a JSON Web Key Set/],
    ['sends headers and then stalls', 'stall' as const, /could not be read \(no whole answer within 5s\)/],
    ['never ends (a flood without a length)', 'huge' as const, new RegExp(`could not be read \\(larger than ${MAX_PROVIDER_DOCUMENT_BYTES} bytes\\)`)],
  ])('answers 503 IDENTITY_PROVIDER_UNAVAILABLE, not 401 and not a hang, when the key set %s', async (_what, mode, message) => {
    provider.mode = mode;
    const error = await failure(tokens().verify(await provider.sign({})));
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    expect((error as AppError).message).toMatch(message);
  });

  it('answers 503 naming the address, not the socket error as an invalid token, when the key set (AUTH_JWKS_URL) cannot be reached', async () => {
    // A loopback port nothing listens on (no longer).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const gone = await failure(
      new TokensService(readAuthConfig({ AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`, AUTH_JWT_ISSUER: 'platform' })).verify(await provider.sign({ iss: 'platform' })),
    );
    expect(gone).toBeInstanceOf(AppError);
    expect((gone as AppError).code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
    expect((gone as AppError).message).toContain(`http://127.0.0.1:${port}/jwks could not be read (ECONNREFUSED)`);
  });

  it('reads the key set once for many tokens, and again for a key it has not seen only after a cooldown', async () => {
    const service = tokens();
    for (let i = 0; i < 5; i++) await service.verify(await provider.sign({ sub: `u${i}` }));
    expect(provider.jwksRequests).toBe(1);
    // A token naming an unknown key is refused without reading the set again (it was just read).
    expect(await failure(service.verify(await provider.sign({}, { kid: 'rotated' })))).toBeInstanceOf(InvalidTokenError);
    expect(provider.jwksRequests).toBe(1);
  });
});
