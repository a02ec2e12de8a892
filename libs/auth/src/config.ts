import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '@audit/platform';

export interface AuthConfig {
  /** HS256 secret for admin tokens; absent when tokens are verified against a JWKS. */
  jwtSecret?: Uint8Array;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** How long a verified ingest key is trusted before the database is asked again (revocation delay). */
  keyCacheMs: number;
  /**
   * How long after it was last verified in Postgres a key is still accepted while Postgres is unreachable
   * (INGEST_STALE_CACHE_MAX, default 1h; a revocation made meanwhile applies once Postgres answers again).
   */
  keyStaleMaxMs?: number;
  /** A key lookup that has not answered in this long counts as failed (INGEST_LOOKUP_TIMEOUT, default 2s). */
  keyLookupTimeoutMs?: number;
  /** The longest an admin token may live (`exp` − `iat`, and `exp` − now): a leaked token stops working within it. */
  maxTokenLifetimeSeconds: number;
  /** Single sign-on through an OpenID provider (AUTH_OIDC_*); absent when administrators paste tokens. */
  oidc?: OidcConfig;
}

/**
 * An OpenID Connect provider whose tokens admit administrators. The console signs in with the
 * authorization code flow and PKCE as the public client `clientId` and sends the ID token as its bearer;
 * the API verifies it against the issuer's published keys and maps two of its claims onto the platform's
 * organization and role.
 */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  /**
   * The `aud` values a token may carry: the client id (the console's ID tokens) and, when set,
   * AUTH_OIDC_AUDIENCE (JWT access tokens issued for the API's resource indicator) — both, so that
   * admitting other clients' access tokens never shuts the console out.
   */
  audiences: readonly string[];
  /** Scopes the console asks for (AUTH_OIDC_SCOPES). */
  scopes: string;
  /** The claim holding the organization id (AUTH_OIDC_ORG_CLAIM, default `org`); a dotted path reaches a nested claim. */
  orgClaim: string;
  /** The claim holding the role or groups (AUTH_OIDC_ROLE_CLAIM, default `role`): a string or a list of strings. */
  roleClaim: string;
  /** Values of the role claim that make an administrator (AUTH_OIDC_ADMIN_VALUES, default `admin`). */
  adminValues: readonly string[];
}

export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/**
 * AUTH_JWT_SECRET, or AUTH_JWKS_URL for an identity provider. With neither, a secret is generated once
 * into AUTH_SECRET_FILE (default `.data/auth-secret`) so `npm start` and the CLI agree on embedded defaults.
 */
export const readAuthConfig = (source: Record<string, string | undefined> = process.env): AuthConfig =>
  readConfig((env) => {
    const secret = env.optional('AUTH_JWT_SECRET');
    const jwksUrl = env.url('AUTH_JWKS_URL', ['https:', 'http:']);
    if (secret !== undefined && secret.length < 32) env.problem('AUTH_JWT_SECRET must be at least 32 characters');
    const config: AuthConfig = {
      jwksUrl,
      issuer: env.optional('AUTH_JWT_ISSUER'),
      audience: env.optional('AUTH_JWT_AUDIENCE'),
      keyCacheMs: env.duration('AUTH_KEY_CACHE_TTL', '30s'),
      keyStaleMaxMs: env.duration('INGEST_STALE_CACHE_MAX', '1h'),
      keyLookupTimeoutMs: env.timer('INGEST_LOOKUP_TIMEOUT', '2s'),
      maxTokenLifetimeSeconds: Math.floor(env.duration('AUTH_MAX_TOKEN_LIFETIME', '24h') / 1000),
    };
    if (config.maxTokenLifetimeSeconds < 1) env.problem('AUTH_MAX_TOKEN_LIFETIME must be at least 1s');
    const issuer = env.url('AUTH_OIDC_ISSUER', ['https:', 'http:']);
    if (issuer) {
      const clientId = env.optional('AUTH_OIDC_CLIENT_ID');
      if (!clientId) env.problem('AUTH_OIDC_CLIENT_ID is required with AUTH_OIDC_ISSUER (the console\'s public client id at the provider)');
      const adminValues = env
        .string('AUTH_OIDC_ADMIN_VALUES', 'admin')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      if (adminValues.length === 0) env.problem('AUTH_OIDC_ADMIN_VALUES must name at least one value');
      config.oidc = {
        issuer,
        clientId: clientId ?? '',
        audiences: [...new Set([clientId ?? '', env.optional('AUTH_OIDC_AUDIENCE') ?? clientId ?? ''])],
        scopes: env.string('AUTH_OIDC_SCOPES', 'openid profile email'),
        orgClaim: env.string('AUTH_OIDC_ORG_CLAIM', 'org'),
        roleClaim: env.string('AUTH_OIDC_ROLE_CLAIM', 'role'),
        adminValues,
      };
      if (!config.oidc.scopes.split(/\s+/).includes('openid')) env.problem('AUTH_OIDC_SCOPES must include openid');
    } else {
      for (const name of ['AUTH_OIDC_CLIENT_ID', 'AUTH_OIDC_AUDIENCE', 'AUTH_OIDC_ORG_CLAIM', 'AUTH_OIDC_ROLE_CLAIM', 'AUTH_OIDC_ADMIN_VALUES', 'AUTH_OIDC_SCOPES']) {
        if (env.optional(name) !== undefined) env.problem(`${name} is set but AUTH_OIDC_ISSUER is not: single sign-on needs the issuer`);
      }
    }
    if (secret) config.jwtSecret = new TextEncoder().encode(secret);
    else if (!jwksUrl) config.jwtSecret = new TextEncoder().encode(localSecret(env.string('AUTH_SECRET_FILE', '.data/auth-secret')));
    return config;
  }, source);

function localSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return secret;
}
