import fc from 'fast-check';
import { validateEvent } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { readHiddenParametersBody, readKeyCreateBody } from './settings-body';

/** Names of every kind a client may send: any code units (NULs, lone surrogates, controls included). */
const anyName = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 10 }), fc.constantFrom('a\u0000b', '\ud800', 'x\udc00', 'q'));

/** The body's refusal as the client reads it: every problem's path; or null when the body was accepted. */
function refusal(read: () => unknown): string[] | null {
  try {
    read();
    return null;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') throw error;
    return (error.details as Array<{ path: string }>).map((d) => d.path);
  }
}

/** Whether an event can carry the text, as every settings change is recorded in one (and queryName in events). */
const storable = (text: string, asQueryName = false): boolean =>
  validateEvent({ organizationId: 'acme', actionType: 'UPDATE_ORGANIZATION', userId: null, ...(asQueryName ? { queryName: text } : {}), metadata: { name: text } }, { now: new Date() }).ok;

describe('settings bodies', () => {
  it('for any key name, either refuses it naming name, or accepts one that the record of its creation can carry', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const refused = refusal(() => readKeyCreateBody({ name }));
        if (refused) expect(refused).toEqual(['name']);
        else expect(storable(name)).toBe(true);
      }),
      { numRuns: 2000, examples: [['\ud800'], ['a\u0000b']] },
    );
  });

  it('for any list of hidden-parameter queries, either refuses naming each bad entry, or accepts only names an event can carry as queryName', () => {
    fc.assert(
      fc.property(fc.array(anyName, { maxLength: 5 }), (queries) => {
        const refused = refusal(() => readHiddenParametersBody({ queries }));
        if (refused) {
          for (const path of refused) expect(path).toMatch(/^queries\[\d+\]$/);
          return;
        }
        for (const name of queries) expect(storable(name, true)).toBe(true);
      }),
      { numRuns: 2000, examples: [[['a\u0000b']], [['\ud800']]] },
    );
  });
});
