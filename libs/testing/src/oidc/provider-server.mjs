// A real OpenID provider (the `oidc-provider` package) for tests, run as its own process because the
// package is ESM-only while the test runner loads CommonJS. Configuration comes as JSON in argv[2]:
// { port, clientId, redirectUris, accounts: { <login>: { <claim>: value } }, idTokenTtl, refreshTokenTtl,
//   resources: [<resource indicator>] }.
// Logins use the provider's built-in interaction pages (a login form, then a consent page): any password.
// It prints one line `{"issuer": …}` on stdout once it listens.
import Provider, { errors } from 'oidc-provider';

const options = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${options.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options.clientId,
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      redirect_uris: options.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  // The organization and role claims a deployment maps with AUTH_OIDC_ORG_CLAIM / AUTH_OIDC_ROLE_CLAIM.
  claims: { openid: ['sub'], email: ['email'], profile: ['name', 'org_id', 'groups'] },
  // The console sends the ID token as its bearer, so the claims must be in it, not only at /userinfo.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  findAccount: (_ctx, id) => {
    const claims = options.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: () => ({ sub: id, ...claims }) };
  },
  // A public client renews with a rotated refresh token; no offline_access consent dance needed here.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    IdToken: options.idTokenTtl ?? 3600,
    AccessToken: options.idTokenTtl ?? 3600,
    RefreshToken: options.refreshTokenTtl ?? 86400,
    Session: options.refreshTokenTtl ?? 86400,
    Grant: options.refreshTokenTtl ?? 86400,
    Interaction: 600,
    AuthorizationCode: 60,
  },
  features: {
    devInteractions: { enabled: true },
    // RFC 7009, as real providers offer it: the console revokes its refresh token when signing out.
    revocation: { enabled: true },
    // RFC 8707: a client asking for one of `resources` gets a JWT access token whose audience is that
    // resource (the API's AUTH_OIDC_AUDIENCE), carrying the account's claims as an ID token does.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (!(options.resources ?? []).includes(resource)) throw new errors.InvalidTarget();
        return { scope: 'audit', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: options.idTokenTtl ?? 3600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  extraTokenClaims: (_ctx, token) => (token.kind === 'AccessToken' && token.accountId ? options.accounts[token.accountId] : undefined),
});

const server = provider.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
