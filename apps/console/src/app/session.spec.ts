import fc from 'fast-check';
import { readClaims } from './session';

const jwt = (payload: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
const mapping = { orgClaim: 'org_id', roleClaim: 'realm_access.roles', adminValues: ['audit-admins'] };

describe('the claims the console shows of a token', () => {
  it("reads a single sign-on token by the server's claim mapping, not by the names org and role", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.array(fc.constantFrom('staff', 'audit-admins', 'admin'), { maxLength: 3 }), (org, roles) => {
        const token = jwt({ sub: 'alice', org_id: org, realm_access: { roles }, org: 'not-this', role: 'admin', exp: 2_000_000_000 });
        expect(readClaims(token, mapping)).toEqual({
          organizationId: org,
          role: roles.includes('audit-admins') ? 'admin' : 'member',
          subject: 'alice',
          expiresAt: new Date(2_000_000_000_000),
        });
      }),
    );
  });

  it('reads org and role of a token the platform minted (no mapping), and nothing of a text that is no JWT', () => {
    expect(readClaims(jwt({ sub: 'cli', org: 'acme', role: 'admin' }))).toMatchObject({ organizationId: 'acme', role: 'admin', subject: 'cli' });
    expect(readClaims('audk_notajwt')).toBeNull();
  });
});
