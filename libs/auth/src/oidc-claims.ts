import type { OidcConfig } from './config';
import { InvalidTokenError } from './token-claims';

/** A claim by name, or by a dotted path into nested objects (`realm_access.roles`) when no claim has that exact name. */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The platform's `org` and `role` claims from an identity provider's token: the organization is the
 * string at AUTH_OIDC_ORG_CLAIM (or the one string of a one-element list); the role is `admin` when the
 * claim at AUTH_OIDC_ROLE_CLAIM (a string or a list) holds one of AUTH_OIDC_ADMIN_VALUES, else `member`.
 * The other claims (`exp`, `iat`, `sub`) are passed on for the usual checks of {@link principalOf}.
 */
export function mapOidcClaims(claims: Record<string, unknown>, oidc: Pick<OidcConfig, 'orgClaim' | 'roleClaim' | 'adminValues'>): Record<string, unknown> {
  let org = claimAt(claims, oidc.orgClaim);
  if (Array.isArray(org) && org.length === 1) org = org[0];
  if (typeof org !== 'string') {
    throw new InvalidTokenError(`the identity provider's token has no organization in claim "${oidc.orgClaim}" (AUTH_OIDC_ORG_CLAIM)`);
  }
  const roleValue = claimAt(claims, oidc.roleClaim);
  const roles = typeof roleValue === 'string' ? [roleValue] : Array.isArray(roleValue) ? roleValue.filter((r): r is string => typeof r === 'string') : [];
  const role = roles.some((r) => oidc.adminValues.includes(r)) ? 'admin' : 'member';
  return { exp: claims.exp, iat: claims.iat, sub: claims.sub, org, role };
}
