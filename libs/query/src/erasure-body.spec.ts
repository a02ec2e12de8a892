import fc from 'fast-check';
import { validateEvent } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { readErasureBody } from './erasure';

/** A user id of every kind a client may send: any code units (NULs and lone surrogates included), any length. */
const anyUserId = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary-ascii', maxLength: 20 }), fc.constantFrom('u1\u0000', '\ud800', 'a\udc00b', ''));

const body = fc.oneof(
  fc.record({ userId: anyUserId }),
  fc.record({ userId: fc.anything() }, { requiredKeys: [] }),
  fc.dictionary(fc.string(), fc.anything()),
  fc.anything(),
);

describe('readErasureBody', () => {
  it('for any body, either refuses it naming the fields, or gives a userId that the erasure record (an event) can carry', () => {
    fc.assert(
      fc.property(body, (input) => {
        let userId: string;
        try {
          ({ userId } = readErasureBody(input));
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe('VALIDATION_FAILED');
          const details = (error as AppError).details as Array<{ path: string; message: string }>;
          expect(details.length).toBeGreaterThan(0);
          for (const d of details) expect(typeof d.path).toBe('string');
          return;
        }
        // What EraseUser records before it erases: the erased user id in the metadata, as the actor's id is stored.
        const record = validateEvent({ organizationId: 'acme', actionType: 'UPDATE_ORGANIZATION', userId, metadata: { erasedUserId: userId } }, { now: new Date() });
        expect(record.ok ? [] : record.errors).toEqual([]);
      }),
      { numRuns: 1000, examples: [[{ userId: 'u1\u0000' }], [{ userId: '\ud800' }]] },
    );
  });

  it('names userId when it holds a NUL or a lone surrogate', () => {
    for (const userId of ['u1\u0000', 'x\ud800']) {
      expect(() => readErasureBody({ userId })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: [{ path: 'userId', message: expect.stringMatching(/NUL|surrogate/) }] }) as Error);
    }
  });
});
