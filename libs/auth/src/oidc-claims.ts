import { mappedOrgAndRole } from '@audit/contracts';
import type { OidcConfig } from './config';
import { InvalidTokenError } from './token-claims';

export { claimAt } from '@audit/contracts';

/**
 * The platform's `org` and `role` claims from an identity provider's token, by the configured mapping
 * ({@link mappedOrgAndRole}, which the console reads tokens with too); a token without an organization
 * is refused naming the claim. The other claims (`exp`, `iat`, `sub`) are passed on for the usual checks
 * of {@link principalOf}.
 */
export function mapOidcClaims(claims: Record<string, unknown>, oidc: Pick<OidcConfig, 'orgClaim' | 'roleClaim' | 'adminValues'>): Record<string, unknown> {
  const { organizationId, role } = mappedOrgAndRole(claims, oidc);
  if (organizationId === null) {
    throw new InvalidTokenError(`the identity provider's token has no organization in claim "${oidc.orgClaim}" (AUTH_OIDC_ORG_CLAIM)`);
  }
  return { exp: claims.exp, iat: claims.iat, sub: claims.sub, org: organizationId, role };
}
