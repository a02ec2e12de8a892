import { Controller, Get, Logger, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { createTestDatabase, signInAtTestProvider, startHttpApp, startTestOidcProvider, type TestDatabase, type TestOidcProvider } from '@audit/testing';
import { AuthModule } from './auth.module';
import { AdminAuth, AdminGuard } from './guards';
import type { TokenPrincipal } from './token-claims';

jest.setTimeout(60_000);
Logger.overrideLogger(['error']);

const REDIRECT = 'http://127.0.0.1:9/audit/';
/** The API's resource indicator: what AUTH_OIDC_AUDIENCE names, and the `aud` of access tokens for it. */
const API = 'https://audit.acme.test/api';
const OTHER_API = 'https://billing.acme.test/api';

// An admin route as every one of the platform's is guarded (AdminGuard), answering whom it admitted.
@Controller('v1/whoami')
@UseGuards(AdminGuard)
class WhoAmIController {
  @Get()
  whoami(@AdminAuth() admin: TokenPrincipal): TokenPrincipal {
    return admin;
  }
}
@Module({ imports: [AuthModule], controllers: [WhoAmIController] })
class WhoAmIModule {}

/**
 * An API client (a script, a service) signs in at the identity provider and calls the API with the JWT
 * access token issued for the API's resource indicator (RFC 8707), AUTH_OIDC_AUDIENCE, instead of an ID
 * token: admitted through the same claim mapping; a token meant for another resource is refused (401).
 */
describe('access tokens of a real OpenID provider as bearer (AUTH_OIDC_AUDIENCE)', () => {
  let provider: TestOidcProvider;
  let db: TestDatabase;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    provider = await startTestOidcProvider({
      redirectUris: [REDIRECT],
      accounts: { alice: { org_id: 'acme', groups: ['staff', 'audit-admins'] }, bob: { org_id: 'acme', groups: ['staff'] } },
      resources: [API, OTHER_API],
    });
    db = await createTestDatabase('audit_oidc_access');
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: 'x'.repeat(32),
      AUTH_OIDC_ISSUER: provider.issuer,
      AUTH_OIDC_CLIENT_ID: provider.clientId,
      AUTH_OIDC_AUDIENCE: API,
      AUTH_OIDC_ORG_CLAIM: 'org_id',
      AUTH_OIDC_ROLE_CLAIM: 'groups',
      AUTH_OIDC_ADMIN_VALUES: 'audit-admins',
    });
    ({ app, url } = await startHttpApp([PlatformModule, PersistenceModule, WhoAmIModule]));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await provider?.stop();
    for (const name of ['AUTH_OIDC_ISSUER', 'AUTH_OIDC_CLIENT_ID', 'AUTH_OIDC_AUDIENCE', 'AUTH_OIDC_ORG_CLAIM', 'AUTH_OIDC_ROLE_CLAIM', 'AUTH_OIDC_ADMIN_VALUES']) delete process.env[name];
  });

  const call = (token: string) => fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });

  it('admits the JWT access token issued for the API as the administrator its claims name', async () => {
    const { access_token } = await signInAtTestProvider(provider, 'alice', REDIRECT, 'openid audit', API);
    // A JWT for the API's resource, signed by the provider: not the opaque token meant for /userinfo.
    expect(decodeProtectedHeader(access_token).typ).toBe('at+jwt');
    expect(decodeJwt(access_token)).toMatchObject({ iss: provider.issuer, aud: API, sub: 'alice', org_id: 'acme' });
    const res = await call(access_token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ organizationId: 'acme', role: 'admin', userId: 'alice' });
  });

  it('refuses (403) an access token whose role claim holds no admin value', async () => {
    const { access_token } = await signInAtTestProvider(provider, 'bob', REDIRECT, 'openid audit', API);
    expect((await call(access_token)).status).toBe(403);
  });

  it('refuses (401, naming the claim) an access token for another resource; the console\'s ID token (audience: the client) stays admitted', async () => {
    const other = await signInAtTestProvider(provider, 'alice', REDIRECT, 'openid audit', OTHER_API);
    expect(decodeJwt(other.access_token).aud).toBe(OTHER_API);
    const refused = await call(other.access_token);
    expect(refused.status).toBe(401);
    expect(JSON.stringify(await refused.json())).toContain('token claim \\"aud\\" is not the value this platform expects');
    // AUTH_OIDC_AUDIENCE adds the API's resource: the console's ID token (aud: its client id) still signs in.
    const { id_token } = await signInAtTestProvider(provider, 'alice', REDIRECT);
    expect(decodeJwt(id_token).aud).toBe(provider.clientId);
    const admitted = await call(id_token);
    expect(await admitted.json()).toEqual({ organizationId: 'acme', role: 'admin', userId: 'alice' });
  });
});
