import { SignJWT, generateKeyPair } from 'jose';
import { AppError } from '@audit/platform';
import { signInAtTestProvider, startTestOidcProvider, type TestOidcProvider } from '@audit/testing';
import { readAuthConfig } from './config';
import { InvalidTokenError } from './token-claims';
import { TokensService } from './tokens.service';

const REDIRECT = 'http://127.0.0.1:9/audit/';

describe('tokens of a real OpenID provider', () => {
  let provider: TestOidcProvider;
  let tokens: TokensService;
  const env = (extra: Record<string, string> = {}) => ({
    AUTH_JWT_SECRET: 'x'.repeat(32),
    AUTH_OIDC_ISSUER: provider.issuer,
    AUTH_OIDC_CLIENT_ID: provider.clientId,
    AUTH_OIDC_ORG_CLAIM: 'org_id',
    AUTH_OIDC_ROLE_CLAIM: 'groups',
    AUTH_OIDC_ADMIN_VALUES: 'audit-admins, owners',
    ...extra,
  });

  beforeAll(async () => {
    provider = await startTestOidcProvider({
      redirectUris: [REDIRECT],
      accounts: {
        alice: { org_id: 'acme', groups: ['staff', 'audit-admins'], email: 'alice@acme.test' },
        bob: { org_id: 'acme', groups: ['staff'] },
        nobody: { groups: ['audit-admins'] },
        'bad-org': { org_id: 'acme corp', groups: ['owners'] },
      },
    });
    tokens = new TokensService(readAuthConfig(env()));
  });
  afterAll(() => provider?.stop());

  it('admits an ID token from the sign-in as an administrator of the organization its claim names', async () => {
    const { id_token } = await signInAtTestProvider(provider, 'alice', REDIRECT);
    await expect(tokens.verify(id_token)).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'alice' });
  });

  it('makes a member (not an administrator) of someone whose role claim holds none of AUTH_OIDC_ADMIN_VALUES', async () => {
    const { id_token } = await signInAtTestProvider(provider, 'bob', REDIRECT);
    await expect(tokens.verify(id_token)).resolves.toEqual({ organizationId: 'acme', role: 'member', userId: 'bob' });
  });

  it('refuses a token without the organization claim, or with one that is not an organization id, naming the claim', async () => {
    const { id_token } = await signInAtTestProvider(provider, 'nobody', REDIRECT);
    await expect(tokens.verify(id_token)).rejects.toThrow(/claim "org_id" \(AUTH_OIDC_ORG_CLAIM\)/);
    const bad = await signInAtTestProvider(provider, 'bad-org', REDIRECT);
    await expect(tokens.verify(bad.id_token)).rejects.toThrow(/token claim "org" must be an organization id/);
  });

  it("refuses the provider's token meant for another client (aud), and says which claim", async () => {
    const { id_token } = await signInAtTestProvider(provider, 'alice', REDIRECT);
    const other = new TokensService(readAuthConfig(env({ AUTH_OIDC_CLIENT_ID: 'another-client' })));
    const error = await other.verify(id_token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect((error as Error).message).toBe('token claim "aud" is not the value this platform expects');
  });

  it("refuses a token that claims the provider's issuer but is signed by another key", async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ org_id: 'acme', groups: ['audit-admins'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuer(provider.issuer)
      .setAudience(provider.clientId)
      .setSubject('mallory')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(privateKey);
    await expect(tokens.verify(forged)).rejects.toThrow('the token was not signed by a key this platform trusts');
  });

  it('still admits tokens minted by the platform (pasted tokens) beside single sign-on', async () => {
    const minted = await tokens.sign({ organizationId: 'acme', role: 'admin', userId: 'cli' }, 60);
    await expect(tokens.verify(minted)).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'cli' });
  });

  it('answers 503 (not "invalid token") while the provider cannot be reached', async () => {
    const unreachable = new TokensService(readAuthConfig(env({ AUTH_OIDC_ISSUER: 'http://127.0.0.1:9' })));
    const { id_token } = await signInAtTestProvider(provider, 'alice', REDIRECT);
    // The token names the real issuer, so a service configured for another one treats it as a platform token.
    await expect(unreachable.verify(id_token)).rejects.toBeInstanceOf(InvalidTokenError);
    const forUnreachable = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('http://127.0.0.1:9').sign(new Uint8Array(32));
    const error = await unreachable.verify(forUnreachable).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('IDENTITY_PROVIDER_UNAVAILABLE');
  });
});
