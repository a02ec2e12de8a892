import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LIMITS } from '@audit/contracts';
import { AUTH_CONFIG, type AuthConfig } from './config';

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Who an admin bearer token speaks for. */
export interface TokenPrincipal {
  organizationId: string;
  role: Role;
  /** The user id of the token's subject, when the token names one. */
  userId: string | null;
}

export class InvalidTokenError extends Error {}

/** Signs (HS256) and verifies (HS256 or a JWKS) bearer tokens carrying `org` and `role` claims. */
@Injectable()
export class TokensService {
  private readonly jwks?: JWTVerifyGetKey;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {
    if (config.jwksUrl) this.jwks = createRemoteJWKSet(new URL(config.jwksUrl));
  }

  async sign(principal: { organizationId: string; role: Role; userId?: string | null }, ttlSeconds: number): Promise<string> {
    if (!this.config.jwtSecret) throw new Error('tokens can only be minted with AUTH_JWT_SECRET (this deployment verifies against AUTH_JWKS_URL)');
    let jwt = new SignJWT({ org: principal.organizationId, role: principal.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds);
    if (principal.userId) jwt = jwt.setSubject(principal.userId);
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
    const { org, role, sub } = payload as { org?: unknown; role?: unknown; sub?: unknown };
    if (typeof org !== 'string' || !LIMITS.organizationIdPattern.test(org)) throw new InvalidTokenError('token has no valid "org" claim');
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new InvalidTokenError('token has no valid "role" claim');
    return { organizationId: org, role: role as Role, userId: typeof sub === 'string' ? sub : null };
  }
}
