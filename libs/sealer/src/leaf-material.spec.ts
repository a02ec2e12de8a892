import fc from 'fast-check';
import { ACTION_TYPES } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { commitmentOf, leafBytesOf, leafHash, parseLeafBytes } from '@audit/transparency';
import { leafMaterialOf, SALT_BYTES, SaltSource } from './leaf-material';

describe('leaf material', () => {
  it('hands out 32-byte salts, never the same one twice, across many draws', () => {
    const salts = new SaltSource();
    const seen = new Set<string>();
    // Past several draws of the source's pool, so the cut at each pool's end is crossed too.
    for (let i = 0; i < 5_000; i++) {
      const salt = salts.next();
      expect(salt.length).toBe(SALT_BYTES);
      const hex = salt.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  });

  it('is the leaf, hash and commitment the log formats define for the event and its salt', () => {
    const salts = new SaltSource();
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTION_TYPES),
        fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 6 }),
        (actionType, userId, metadata) => {
          const event = canonicalEvent({ organizationId: 'acme', actionType, userId, metadata, user: userId === null ? undefined : { email: 'a@b.c', userName: userId } });
          const salt = salts.next();
          const m = leafMaterialOf(event, salt);
          const commitment = commitmentOf(event, salt.toString('base64'));
          expect(m.leaf.equals(leafBytesOf(event, commitment))).toBe(true);
          expect(m.leafHash.equals(leafHash(m.leaf))).toBe(true);
          expect(parseLeafBytes(m.leaf).id).toBe(event.id);
          expect({ eventId: m.eventId, organizationId: m.organizationId, user: m.user, salt: m.salt }).toEqual({ eventId: event.id, organizationId: 'acme', user: event.user, salt });
        },
      ),
      { numRuns: 200 },
    );
  });
});
