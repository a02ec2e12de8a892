import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { AppError } from '@audit/platform';

/** Signature algorithms accepted from an identity provider: asymmetric only (a shared secret would be a password). */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const DISCOVERY_TIMEOUT_MS = 5_000;

/**
 * The identity provider's signing keys, found through its discovery document (`jwks_uri`) on first use
 * and then kept by jose (refetched when a token names a key it has not seen). A failed discovery is not
 * remembered, so the next request tries again.
 */
export class OidcKeys {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly issuer: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discover().catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

  private async discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.issuer}${this.issuer.endsWith('/') ? '' : '/'}.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      document = (await res.json()) as typeof document;
    } catch (error) {
      throw new AppError('IDENTITY_PROVIDER_UNAVAILABLE', `the identity provider's discovery document ${url} could not be read (${(error as Error).message}); retry shortly`);
    }
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (document.issuer !== this.issuer) {
      throw new AppError('IDENTITY_PROVIDER_UNAVAILABLE', `the discovery document at ${url} names issuer ${JSON.stringify(document.issuer)}, not AUTH_OIDC_ISSUER ${this.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string') throw new AppError('IDENTITY_PROVIDER_UNAVAILABLE', `the discovery document at ${url} has no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
  }
}
