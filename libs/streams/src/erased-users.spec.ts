import fc from 'fast-check';
import { erasedEvent } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { ErasedUsers } from './erased-users';

const T0 = Date.UTC(2026, 11, 1);
const at = (s: number): Date => new Date(T0 + s * 1000);

describe('ErasedUsers', () => {
  it("empties exactly the events of an erased person received by their latest erasure, in that person's organization", () => {
    const person = fc.record({ org: fc.constantFrom('acme', 'globex'), user: fc.constantFrom('ada', 'bob', 'ada-2') });
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: person, erasedAt: fc.integer({ min: 0, max: 100 }) }), { maxLength: 6 }),
        fc.array(fc.record({ who: person, receivedAt: fc.integer({ min: 0, max: 100 }), anonymous: fc.boolean() }), { minLength: 1, maxLength: 20 }),
        (erasures, events) => {
          const erased = new ErasedUsers();
          erased.replace(erasures.map(({ who, erasedAt }) => ({ organizationId: who.org, userId: who.user, erasedAt: at(erasedAt) })));
          for (const { who, receivedAt, anonymous } of events) {
            const event = canonicalEvent({ actionType: 'LOGIN', organizationId: who.org, userId: anonymous ? null : who.user, ipAddress: '203.0.113.9', metadata: { private: true } });
            const received = { ...event, receivedAt: at(receivedAt).toISOString() };
            const latest = Math.max(-1, ...erasures.filter((e) => e.who.org === who.org && e.who.user === who.user).map((e) => e.erasedAt));
            const expected = !anonymous && receivedAt <= latest ? erasedEvent(received) : received;
            expect(erased.apply(received)).toEqual(expected);
          }
        },
      ),
    );
  });

  it('forgets erasures no longer read', () => {
    const erased = new ErasedUsers();
    const event = { ...canonicalEvent({ actionType: 'LOGIN', organizationId: 'acme', userId: 'ada', metadata: { private: true } }), receivedAt: at(1).toISOString() };
    erased.replace([{ organizationId: 'acme', userId: 'ada', erasedAt: at(2) }]);
    expect(erased.apply(event).metadata).toEqual({});
    erased.replace([]);
    expect(erased.apply(event)).toBe(event);
  });
});
