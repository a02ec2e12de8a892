import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LIMITS } from '@audit/contracts';
import { AUTH_CONFIG, type AuthConfig } from './config';
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

/** Signs (HS256) and verifies (HS256 or a JWKS) bearer tokens carrying `org` and `role` claims. */
@Injectable()
export class TokensService {
  private readonly jwks?: JWTVerifyGetKey;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {
    if (config.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
  }

  async sign(principal: { organizationId: string; role: Role; userId?: string | null }, ttlSeconds: number): Promise<string> {
    if (!this.config.jwtSecret) throw new Error('tokens can only be minted with AUTH_JWT_SECRET (this deployment verifies against AUTH_JWKS_URL)');
    // No lower bound: a token minted already expired (as tests do) admits nobody.
    if (!Number.isInteger(ttlSeconds) || ttlSeconds > this.config.maxTokenLifetimeSeconds) {
      throw new TokenRequestError('ttlSeconds', `must be a whole number of seconds, at most ${this.config.maxTokenLifetimeSeconds} (AUTH_MAX_TOKEN_LIFETIME; got ${ttlSeconds})`);
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
    let payload: JWTPayload;
    try {
      const options = { issuer: this.config.issuer, audience: this.config.audience };
      payload = this.jwks
        ? (await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256'] })).payload
        : (await jwtVerify(token, this.config.jwtSecret as Uint8Array, { ...options, algorithms: ['HS256'] })).payload;
    } catch (error) {
      throw new InvalidTokenError(`invalid token: ${(error as Error).message}`);
    }
    return principalOf(payload as Record<string, unknown>, Math.floor(Date.now() / 1000), this.config.maxTokenLifetimeSeconds);
  }
}
