import fc from 'fast-check';
import { validateEvent } from '@audit/contracts';
import { InvalidTokenError, principalOf } from './token-claims';

const NOW = 1_800_000_000;
const DAY = 86_400;
const valid = { org: 'acme', role: 'admin', sub: 'ada', iat: NOW, exp: NOW + 3600 };

const refusal = (claims: Record<string, unknown>, max = DAY): string => {
  try {
    principalOf(claims, NOW, max);
    return 'admitted';
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    return error.message;
  }
};

describe('principalOf', () => {
  it('reads org, role and sub of a valid token', () => {
    expect(principalOf(valid, NOW, DAY)).toEqual({ organizationId: 'acme', role: 'admin', userId: 'ada' });
    expect(principalOf({ ...valid, sub: undefined }, NOW, DAY)).toEqual({ organizationId: 'acme', role: 'admin', userId: null });
  });

  it('refuses a token without exp: admin tokens must expire', () => {
    expect(refusal({ ...valid, exp: undefined })).toMatch(/^token claim "exp" is required/);
    expect(refusal({ ...valid, exp: '2030-01-01' })).toMatch(/^token claim "exp" must be a number/);
  });

  it('refuses a lifetime beyond the maximum, from iat, or from now when iat is absent or in the future', () => {
    expect(refusal({ ...valid, exp: NOW + DAY })).toBe('admitted');
    expect(refusal({ ...valid, exp: NOW + DAY + 1 })).toMatch(/^token claim "exp" is more than the longest token lifetime of 86400s/);
    // Issued two days ago, expiring in one hour: 49 hours of life.
    expect(refusal({ ...valid, iat: NOW - 2 * DAY, exp: NOW + 3600 })).toMatch(/"exp"/);
    expect(refusal({ ...valid, iat: undefined, exp: NOW + DAY })).toBe('admitted');
    expect(refusal({ ...valid, iat: undefined, exp: NOW + DAY + 1 })).toMatch(/"exp"/);
    // An iat in the future does not stretch the lifetime: it is measured from now.
    expect(refusal({ ...valid, iat: NOW + 10 * DAY, exp: NOW + 10 * DAY + 60 })).toMatch(/"exp"/);
    expect(refusal({ ...valid, iat: 'yesterday' })).toMatch(/^token claim "iat"/);
    expect(refusal({ ...valid, exp: NOW + 7 * DAY }, 7 * DAY)).toBe('admitted');
  });

  it.each([
    [{ org: undefined }, '"org"'],
    [{ org: 'bad org!' }, '"org"'],
    [{ org: 'x'.repeat(65) }, '"org"'],
    [{ org: 42 }, '"org"'],
    [{ role: 'owner' }, '"role"'],
    [{ role: undefined }, '"role"'],
    [{ sub: '' }, '"sub" must not be empty'],
    [{ sub: 'u'.repeat(300) }, '"sub" must be at most 256 characters (got 300)'],
    [{ sub: 'ada\u0000' }, '"sub" must not contain control characters'],
    [{ sub: 'ada\u001b[31m' }, '"sub" must not contain control characters'],
    [{ sub: 'ada\ud800' }, '"sub" must not contain a lone UTF-16 surrogate'],
    [{ sub: 17 }, '"sub" must be a string (got number)'],
    [{ sub: null }, '"sub" must be a string (got null)'],
  ])('refuses %j naming %s', (claims, named) => {
    expect(refusal({ ...valid, ...claims })).toContain(named);
  });

  it('admits only principals whose subject can be recorded as the userId of their reads', () => {
    const claim = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constant(undefined), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(claim, fc.oneof(fc.constant('acme'), fc.string()), fc.integer({ min: -DAY, max: 3 * DAY }), (sub, org, ttl) => {
        let principal;
        try {
          principal = principalOf({ ...valid, sub, org, exp: NOW + ttl }, NOW, DAY);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidTokenError);
          expect((error as Error).message).toMatch(/^token claim "(sub|org|exp)" /);
          return;
        }
        expect(ttl).toBeLessThanOrEqual(DAY);
        const read = validateEvent(
          { organizationId: principal.organizationId, actionType: 'PAGE_VIEW', userId: principal.userId, pageName: 'audit', metadata: { path: '/v1/events' } },
          { now: new Date(NOW * 1000) },
        );
        expect(read.ok ? [] : read.errors).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
