import fc from 'fast-check';
import { receivedThroughLine, receivedThroughOf } from '@audit/transparency';
import { receivedThroughTime } from './received-through-bound';

// Times within the years a leaf time can carry (toISOString's four-digit years).
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) });

describe('receivedThroughTime', () => {
  it('is before every time an event outside the log can carry, and as late as that allows', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 3_600_000 }), fc.option(instant), fc.option(instant), (readAtMs, marginMs, oldestIngestMs, oldestPendingMs) => {
        const through = Date.parse(receivedThroughTime({ readAtMs, marginMs, oldestIngestMs, oldestPendingMs }));
        // An event published after the read, one still in AUDIT_INGEST, one past the ack floor: none is vouched for.
        expect(through).toBeLessThan(readAtMs - marginMs);
        if (oldestIngestMs !== null) expect(through).toBeLessThan(oldestIngestMs);
        if (oldestPendingMs !== null) expect(through).toBeLessThan(oldestPendingMs);
        // One millisecond before the nearest of them: no later time is safe, no earlier one is needed.
        expect(through + 1).toBe(Math.min(readAtMs - marginMs, oldestIngestMs ?? Infinity, oldestPendingMs ?? Infinity));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a time the checkpoint line takes and reads back unchanged', () => {
    fc.assert(
      fc.property(instant, fc.option(instant), (readAtMs, oldestPendingMs) => {
        const through = receivedThroughTime({ readAtMs, marginMs: 60_000, oldestIngestMs: null, oldestPendingMs });
        expect(receivedThroughOf({ extensions: [receivedThroughLine(through)] })).toBe(through);
      }),
      { numRuns: 200 },
    );
  });
});
