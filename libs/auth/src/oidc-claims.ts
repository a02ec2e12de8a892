import { mappedOrgAndRole } from '@audit/contracts';
import type { OidcConfig } from './config';
import { InvalidTokenError } from './token-claims';

export { claimAt } from '@audit/contracts';

/**
 * The platform's `org` and `role` claims from an identity provider's token, by the configured mapping
 * ({@link mappedOrgAndRole}, which the console reads tokens with too); a token without an organization
 * or without a subject (`sub`) is refused naming the claim. The other claims (`exp`, `iat`, `sub`) are passed on for the usual checks
 * of {@link principalOf}.
 */
export function mapOidcClaims(claims: Record<string, unknown>, oidc: Pick<OidcConfig, 'orgClaim' | 'roleClaim' | 'adminValues'>): Record<string, unknown> {
  const { organizationId, role } = mappedOrgAndRole(claims, oidc);
  if (organizationId === null) {
    throw new InvalidTokenError(`the identity provider's token has no organization in claim "${oidc.orgClaim}" (AUTH_OIDC_ORG_CLAIM)`);
  }
  // OpenID Connect Core §2 and RFC 9068 §2.2 require `sub` in ID and access tokens. Without it the
  // administrator's reads would be recorded with no actor (a platform-minted token may omit it: the CLI's
  // are not a person's), so the provider's token must name whom it speaks for.
  if (claims.sub === undefined) throw new InvalidTokenError('token claim "sub" is required in an identity provider\'s token: the administrator\'s reads are recorded under it');
  return { exp: claims.exp, iat: claims.iat, sub: claims.sub, org: organizationId, role };
}

/**
 * Refuses a token the provider issued to another client that merely lists the console among its
 * audiences (OpenID Connect Core 3.1.3.7: when `azp` is present it must be the client's id): such a token
 * was handed to that other application, and admitting it would let any client of the same provider act
 * as its users here. An access token issued for the API's own audience (AUTH_OIDC_AUDIENCE) may come from
 * any client, since admitting those is what that setting is for.
 */
export function checkAuthorizedParty(claims: Record<string, unknown>, oidc: Pick<OidcConfig, 'clientId' | 'audiences'>): void {
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const forTheApi = oidc.audiences.some((a) => a !== oidc.clientId && aud.includes(a));
  if (forTheApi || claims.azp === undefined || claims.azp === oidc.clientId) return;
  throw new InvalidTokenError('token claim "azp" names another client: the token was issued to it, not to the console (AUTH_OIDC_CLIENT_ID)');
}
