import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { AppError } from '@audit/platform';
import { LIMITS } from '@audit/contracts';
import { AUTH_CONFIG, type AuthConfig } from './config';
import { checkAuthorizedParty, mapOidcClaims } from './oidc-claims';
import { OIDC_ALGORITHMS, OidcKeys } from './oidc-keys';
import { InvalidTokenError, principalOf, subjectProblem, type Role, type TokenPrincipal } from './token-claims';

/** A token the platform would refuse was asked to be minted: `field` says which input, `reason` what is wrong. */
export class TokenRequestError extends Error {
  constructor(
    readonly field: 'organizationId' | 'userId' | 'ttlSeconds',
    readonly reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/** Why jose refused a token, in words an administrator can act on (never jose's own message). */
function refusal(error: unknown): InvalidTokenError {
  if (error instanceof joseErrors.JWTExpired) return new InvalidTokenError('the token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const why = error.reason === 'check_failed' ? 'is not the value this platform expects' : error.reason === 'missing' ? 'is missing' : `is not accepted (${error.reason.replace(/_/g, ' ')})`;
    return new InvalidTokenError(`token claim "${error.claim}" ${why}`);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return new InvalidTokenError('the token was not signed by a key this platform trusts');
  }
  return new InvalidTokenError(`invalid token: ${(error as Error).message}`);
}

/**
 * Signs (HS256) and verifies bearer tokens carrying `org` and `role` claims: tokens the platform minted
 * (HS256, or a JWKS at AUTH_JWKS_URL), and, with AUTH_OIDC_ISSUER, the identity provider's tokens, whose
 * organization and role claims are mapped (see {@link mapOidcClaims}).
 */
@Injectable()
export class TokensService {
  private readonly jwks?: OidcKeys;
  private readonly oidcKeys?: OidcKeys;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {
    if (config.jwksUrl) this.jwks = OidcKeys.at(config.jwksUrl);
    if (config.oidc) this.oidcKeys = new OidcKeys(config.oidc.issuer);
  }

  async sign(principal: { organizationId: string; role: Role; userId?: string | null }, ttlSeconds: number): Promise<string> {
    if (!this.config.jwtSecret) throw new Error('tokens can only be minted with AUTH_JWT_SECRET (this deployment verifies against AUTH_JWKS_URL)');
    // No lower bound: a token minted already expired (as tests do) admits nobody.
    // Two refusals, each naming its own problem: a lifetime of 99999d is whole, only too long.
    if (!Number.isInteger(ttlSeconds)) throw new TokenRequestError('ttlSeconds', `must be a whole number of seconds (got ${ttlSeconds})`);
    if (ttlSeconds > this.config.maxTokenLifetimeSeconds) {
      throw new TokenRequestError('ttlSeconds', `is too long: at most ${this.config.maxTokenLifetimeSeconds} seconds (AUTH_MAX_TOKEN_LIFETIME; got ${ttlSeconds})`);
    }
    if (!LIMITS.organizationIdPattern.test(principal.organizationId)) {
      throw new TokenRequestError('organizationId', `must match ${String(LIMITS.organizationIdPattern)}`);
    }
    const subject = principal.userId ?? undefined;
    const problem = subject === undefined ? undefined : subjectProblem(subject);
    if (problem) throw new TokenRequestError('userId', problem);
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT({ org: principal.organizationId, role: principal.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds);
    if (subject !== undefined) jwt = jwt.setSubject(subject);
    if (this.config.issuer) jwt = jwt.setIssuer(this.config.issuer);
    if (this.config.audience) jwt = jwt.setAudience(this.config.audience);
    return jwt.sign(this.config.jwtSecret);
  }

  async verify(token: string): Promise<TokenPrincipal> {
    if (this.config.oidc && this.oidcKeys && this.issuerOf(token) === this.config.oidc.issuer) return this.verifyOidc(token);
    let payload: JWTPayload;
    try {
      const options = { issuer: this.config.issuer, audience: this.config.audience };
      payload = this.jwks
        ? (await jwtVerify(token, await this.jwks.get(), { ...options, algorithms: ['RS256', 'ES256'] })).payload
        : (await jwtVerify(token, this.config.jwtSecret as Uint8Array, { ...options, algorithms: ['HS256'] })).payload;
    } catch (error) {
      // The key set could not be read (OidcKeys says why): not the token's fault.
      if (error instanceof AppError) throw error;
      throw refusal(error);
    }
    return principalOf(payload as Record<string, unknown>, Math.floor(Date.now() / 1000), this.config.maxTokenLifetimeSeconds);
  }

  /** The unverified `iss`, only to pick the verification path; the signature check that follows decides. */
  private issuerOf(token: string): unknown {
    try {
      return decodeJwt(token).iss;
    } catch {
      return undefined;
    }
  }

  private async verifyOidc(token: string): Promise<TokenPrincipal> {
    const oidc = this.config.oidc as NonNullable<AuthConfig['oidc']>;
    const keys = await (this.oidcKeys as OidcKeys).get();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: oidc.issuer, audience: [...oidc.audiences], algorithms: OIDC_ALGORITHMS }));
    } catch (error) {
      // The provider's keys could not be read (OidcKeys says why): not the token's fault.
      if (error instanceof AppError) throw error;
      throw refusal(error);
    }
    checkAuthorizedParty(payload as Record<string, unknown>, oidc);
    return principalOf(mapOidcClaims(payload as Record<string, unknown>, oidc), Math.floor(Date.now() / 1000), this.config.maxTokenLifetimeSeconds);
  }
}
