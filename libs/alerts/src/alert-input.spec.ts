import fc from 'fast-check';
import { isUuid } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { firingId, retryDelayMinutes } from './alert-evaluator';
import { readAlertInput, readSavedSearchInput } from './alert-input';

const GOOD = {
  name: 'bulk export',
  query: 'action:PAGE_EXPORT',
  condition: { kind: 'count', atLeast: 6, windowMinutes: 60, perUser: true },
  webhook: { url: 'https://hooks.example.com/audit', secret: 'a-secret-of-16-chars' },
};
const FIELDS = ['name', 'query', 'savedSearchId', 'condition', 'webhook', 'webhook.url', 'webhook.secret', 'enabled'];

const problemsOf = (read: () => unknown): string[] => {
  try {
    read();
    return [];
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') throw error;
    return (error.details as Array<{ path: string }>).map((d) => d.path);
  }
};

describe('alert and saved search bodies', () => {
  it('reads a good alert, its secret optional only on a replace', () => {
    expect(readAlertInput(GOOD, true)).toEqual({ name: 'bulk export', source: { query: 'action:PAGE_EXPORT' }, condition: GOOD.condition, webhookUrl: 'https://hooks.example.com/audit', secret: 'a-secret-of-16-chars', enabled: true });
    expect(problemsOf(() => readAlertInput({ ...GOOD, webhook: { url: GOOD.webhook.url } }, true))).toEqual(['webhook.secret']);
    expect(readAlertInput({ ...GOOD, webhook: { url: GOOD.webhook.url } }, false).secret).toBeUndefined();
  });

  it('accepts only a webhook secret that survives sealing as UTF-8 (no lone surrogate, no NUL), naming webhook.secret', () => {
    const unstorable = (s: string): boolean => s.includes('\u0000') || !(String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed.call(s);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 16, maxLength: 40 }), (secret) => {
        const refused = problemsOf(() => readAlertInput({ ...GOOD, webhook: { url: GOOD.webhook.url, secret } }, true));
        expect(refused).toEqual(unstorable(secret) ? ['webhook.secret'] : []);
      }),
      { numRuns: 2000, examples: [['a-secret-of-at-least-\ud800']] },
    );
  });

  it('answers any JSON with a good alert or a 400 naming only fields of the body, never echoing a value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...Object.keys(GOOD), 'enabled', 'savedSearchId', 'extra'), fc.jsonValue()), (patch) => {
        const body = { ...GOOD, ...patch };
        try {
          readAlertInput(body, true);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          const details = (error as AppError).details as Array<{ path: string; reason: string }>;
          expect(details.length).toBeGreaterThan(0);
          for (const { path, reason } of details) {
            expect(FIELDS.includes(path) || path.startsWith('condition') || path === 'extra' || path.startsWith('webhook.')).toBe(true);
            if (typeof body.webhook === 'object' && body.webhook && typeof (body.webhook as { secret?: unknown }).secret === 'string' && ((body.webhook as { secret: string }).secret.length >= 4)) {
              expect(reason).not.toContain((body.webhook as { secret: string }).secret);
            }
          }
        }
      }),
    );
  });

  it('names a saved search query error with its position and term', () => {
    expect(problemsOf(() => readSavedSearchInput({ name: 'x', query: 'rt:>fast' }))).toEqual(['query']);
    expect(problemsOf(() => readSavedSearchInput({ name: '', query: 'action:LOGIN', shared: true })).sort()).toEqual(['name', 'shared']);
  });
});

describe('firings', () => {
  it('have one id per alert and window: a UUID, the same whoever computes it, different for another window or alert', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.integer({ min: 0, max: 4_000_000_000 }) /* minutes: UUIDv7 holds 48 bits of ms, to the year 10889 */, (a, b, minute) => {
        const to = new Date(minute * 60_000);
        const id = firingId(a, to);
        expect(isUuid(id)).toBe(true);
        expect(firingId(a, new Date(to.getTime()))).toBe(id);
        expect(firingId(a, new Date(to.getTime() + 60_000))).not.toBe(id);
        if (a !== b) expect(firingId(b, to)).not.toBe(id);
      }),
    );
  });

  it('retry 1, 2, 4 … minutes apart, never more than an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelayMinutes)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });
});
