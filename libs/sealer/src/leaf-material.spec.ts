import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ACTION_TYPES } from '@audit/contracts';
import { canonicalEvent } from '@audit/testing';
import { commitmentOf, leafBytesOf, leafHash, parseLeafBytes } from '@audit/transparency';
import { leafMaterialOf, SALT_BYTES } from './leaf-material';

describe('leaf material', () => {
  it('is the leaf, hash and commitment the log formats define for the event and its salt', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTION_TYPES),
        fc.option(fc.string({ minLength: 1, maxLength: 30 }), { nil: null }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 6 }),
        (actionType, userId, metadata) => {
          const event = canonicalEvent({ organizationId: 'acme', actionType, userId, metadata, user: userId === null ? undefined : { email: 'a@b.c', userName: userId } });
          const salt = randomBytes(SALT_BYTES);
          const m = leafMaterialOf(event, salt);
          const commitment = commitmentOf(event, salt.toString('base64'));
          expect(m.leaf.equals(leafBytesOf(event, commitment))).toBe(true);
          expect(m.leafHash.equals(leafHash(m.leaf))).toBe(true);
          expect(parseLeafBytes(m.leaf).id).toBe(event.id);
          expect({ eventId: m.eventId, user: m.user, salt: m.salt }).toEqual({ eventId: event.id, user: event.user, salt });
        },
      ),
      { numRuns: 200 },
    );
  });
});
