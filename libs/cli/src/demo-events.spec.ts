import { ACTION_TYPES, validateBatch } from '@audit/contracts';
import fc from 'fast-check';
import { demoEvents, demoEventStream } from './demo-events';

describe('demo events', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const events = demoEvents('acme', 500, { now, spanMs: 86_400_000, seed: 7 });

  it('are valid events of every one of the 34 types', () => {
    const result = validateBatch(events, { now });
    expect(result.ok).toBe(true);
    expect(new Set(events.map((e) => e.actionType))).toEqual(new Set(ACTION_TYPES));
  });

  it('spread over the span, carry query details, and repeat for a seed', () => {
    const times = events.map((e) => Date.parse(String(e.createdAt)));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(now.getTime() - 86_400_000);
    expect(Math.max(...times)).toBeLessThanOrEqual(now.getTime());
    const queryRun = events.find((e) => e.actionType === 'QUERY_RUN');
    expect(queryRun?.queryName).toEqual(expect.any(String));
    expect(queryRun?.metadata).toEqual(expect.objectContaining({ query: expect.any(String), parameters: expect.any(Object) }));
    expect(demoEvents('acme', 50, { now, seed: 7 })).toEqual(demoEvents('acme', 50, { now, seed: 7 }));
  });

  it('are made one at a time, the same as the whole list for the same seed: demo --events 10000000 held them all and ran out of heap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer(), (n, seed) => {
        expect([...demoEventStream('acme', n, { now, seed })]).toEqual(demoEvents('acme', n, { now, seed }));
      }),
      { numRuns: 30 },
    );
    const endless = demoEventStream('acme', Number.MAX_SAFE_INTEGER, { now, seed: 7 });
    expect([endless.next().value, endless.next().value]).toEqual(demoEvents('acme', 2, { now, seed: 7 }));
  });
});
