import fc from 'fast-check';
import { readAuthConfig } from './config';
import { checkAuthorizedParty, claimAt, mapOidcClaims } from './oidc-claims';

const mapping = { orgClaim: 'org_id', roleClaim: 'groups', adminValues: ['audit-admins', 'owners'] };

describe('mapping an identity provider’s claims', () => {
  it('reads a claim by exact name first (namespaced URLs hold dots), else by dotted path', () => {
    expect(claimAt({ 'https://acme.test/org': 'a' }, 'https://acme.test/org')).toBe('a');
    expect(claimAt({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(claimAt({ realm_access: ['x'] }, 'realm_access.0')).toBeUndefined();
    expect(claimAt({}, 'constructor')).toBeUndefined();
    expect(claimAt({ a: {} }, 'a.toString')).toBeUndefined();
  });

  it('is admin exactly when the role claim holds one of the admin values, whatever else it holds', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 6 }), fc.boolean(), (others, asString) => {
        const groups = asString ? (others[0] ?? '') : others;
        const mapped = mapOidcClaims({ org_id: 'acme', groups, sub: 's', exp: 1 }, mapping);
        const values = typeof groups === 'string' ? [groups] : groups;
        expect(mapped.role).toBe(values.some((g) => mapping.adminValues.includes(g)) ? 'admin' : 'member');
        expect(mapped).toMatchObject({ org: 'acme', sub: 's', exp: 1 });
      }),
    );
  });

  it('takes the one organization of a one-element list and refuses a missing, listed-twice or non-string one', () => {
    expect(mapOidcClaims({ org_id: ['acme'], groups: 'owners', sub: 's' }, mapping)).toMatchObject({ org: 'acme', role: 'admin' });
    for (const org_id of [undefined, ['a', 'b'], 7, null, { id: 'acme' }]) {
      expect(() => mapOidcClaims({ org_id, groups: 'owners', sub: 's' }, mapping)).toThrow('no organization in claim "org_id" (AUTH_OIDC_ORG_CLAIM)');
    }
  });

  it('refuses a token that names nobody (no sub), naming the claim, whatever else it holds', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== 'sub'), fc.jsonValue()), (others) => {
        expect(() => mapOidcClaims({ ...others, org_id: 'acme', groups: 'owners', exp: 1 }, mapping)).toThrow('token claim "sub" is required');
      }),
    );
  });

  it("refuses a token issued to another client (azp) that lists the console among its audiences, unless it is for the API's own audience", () => {
    const console = { clientId: 'console', audiences: ['console'] };
    const withApi = { clientId: 'console', audiences: ['console', 'https://audit.acme.test/api'] };
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }).filter((c) => c !== 'console'), fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), (other, extra) => {
        const aud = ['console', other, ...extra];
        expect(() => checkAuthorizedParty({ aud, azp: other }, console)).toThrow('token claim "azp" names another client');
        expect(() => checkAuthorizedParty({ aud, azp: 'console' }, console)).not.toThrow();
        expect(() => checkAuthorizedParty({ aud: 'console' }, console)).not.toThrow();
        // An access token for the API's audience, whichever client asked for it.
        expect(() => checkAuthorizedParty({ aud: ['https://audit.acme.test/api', ...extra], azp: other }, withApi)).not.toThrow();
      }),
    );
  });

  it('never lets the provider set the platform role directly: a token "role" claim is ignored', () => {
    expect(mapOidcClaims({ org_id: 'acme', groups: [], role: 'admin', sub: 's' }, mapping).role).toBe('member');
  });
});

describe('AUTH_OIDC_* configuration', () => {
  const base = { AUTH_JWT_SECRET: 'x'.repeat(32) };

  it('defaults the audience to the client id, the claims to org and role, the admin value to admin', () => {
    const { oidc } = readAuthConfig({ ...base, AUTH_OIDC_ISSUER: 'https://id.acme.test/', AUTH_OIDC_CLIENT_ID: 'console' });
    expect(oidc).toEqual({ issuer: 'https://id.acme.test/', clientId: 'console', audiences: ['console'], scopes: 'openid profile email', orgClaim: 'org', roleClaim: 'role', adminValues: ['admin'] });
  });

  it('names the variable at fault', () => {
    expect(() => readAuthConfig({ ...base, AUTH_OIDC_ISSUER: 'https://id.acme.test' })).toThrow(/AUTH_OIDC_CLIENT_ID is required/);
    expect(() => readAuthConfig({ ...base, AUTH_OIDC_ISSUER: 'ftp://id' })).toThrow(/AUTH_OIDC_ISSUER must be a URL/);
    expect(() => readAuthConfig({ ...base, AUTH_OIDC_CLIENT_ID: 'console' })).toThrow(/AUTH_OIDC_CLIENT_ID is set but AUTH_OIDC_ISSUER is not/);
    expect(() => readAuthConfig({ ...base, AUTH_OIDC_ISSUER: 'https://id', AUTH_OIDC_CLIENT_ID: 'c', AUTH_OIDC_ADMIN_VALUES: ' , ' })).toThrow(/AUTH_OIDC_ADMIN_VALUES/);
    expect(() => readAuthConfig({ ...base, AUTH_OIDC_ISSUER: 'https://id', AUTH_OIDC_CLIENT_ID: 'c', AUTH_OIDC_SCOPES: 'profile' })).toThrow(/AUTH_OIDC_SCOPES must include openid/);
  });
});
