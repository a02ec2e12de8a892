/**
 * How an identity provider's token names the platform's organization and role (AUTH_OIDC_ORG_CLAIM,
 * AUTH_OIDC_ROLE_CLAIM, AUTH_OIDC_ADMIN_VALUES). Pure, so the API (which admits by it) and the console
 * (which shows the organization and role of a single sign-on session) read a token the same way.
 */
export interface OidcClaimMapping {
  /** The claim holding the organization id; a dotted path reaches a nested claim. */
  orgClaim: string;
  /** The claim holding the role or groups: a string or a list of strings. */
  roleClaim: string;
  /** Values of the role claim that make an administrator. */
  adminValues: readonly string[];
}

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
 * The organization (the string at the org claim, or the one string of a one-element list; null otherwise)
 * and the role (`admin` when the role claim holds one of the admin values, else `member`) of a token.
 */
export function mappedOrgAndRole(claims: Record<string, unknown>, mapping: OidcClaimMapping): { organizationId: string | null; role: 'admin' | 'member' } {
  let org = claimAt(claims, mapping.orgClaim);
  if (Array.isArray(org) && org.length === 1) org = org[0];
  const roleValue = claimAt(claims, mapping.roleClaim);
  const roles = typeof roleValue === 'string' ? [roleValue] : Array.isArray(roleValue) ? roleValue.filter((r): r is string => typeof r === 'string') : [];
  return { organizationId: typeof org === 'string' ? org : null, role: roles.some((r) => mapping.adminValues.includes(r)) ? 'admin' : 'member' };
}
