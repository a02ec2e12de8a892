import fc from 'fast-check';
import { PendingReceivedTimes, type PendingTime } from './pending-received-times';

const ORGANIZATIONS = ['acme', 'globex', 'initech'] as const;

/** A stream's messages: sequence i + 1 holds `times[i]` (none for a message with no readable receivedAt, two for one naming two organizations). */
const streamTimes = fc.array(
  fc.array(fc.record({ organizationId: fc.constantFrom(...ORGANIZATIONS), receivedAtMs: fc.integer({ min: 0, max: 1_000_000 }) }), { maxLength: 2 }),
  { minLength: 1, maxLength: 200 },
);

/** A signing pass: how far the stream has grown and the floor moved (shares of the stream), and whether the durable or the stream was made again before it. */
const pass = fc.record({
  stored: fc.double({ min: 0, max: 1, noNaN: true }),
  acked: fc.double({ min: 0, max: 1, noNaN: true }),
  floorBack: fc.boolean(),
  recreated: fc.integer({ min: 0, max: 9 }),
});

const oldestOf = (times: readonly PendingTime[]): Map<string, number> => {
  const oldest = new Map<string, number>();
  for (const { organizationId, receivedAtMs } of times) oldest.set(organizationId, Math.min(receivedAtMs, oldest.get(organizationId) ?? Infinity));
  return oldest;
};

describe('PendingReceivedTimes', () => {
  it('finds, pass after pass, what one scan of every message past the floor would, reading each message once while the stream stays the same (property)', () => {
    fc.assert(
      fc.property(streamTimes, fc.array(pass, { minLength: 1, maxLength: 30 }), (messages, passes) => {
        const pending = new PendingReceivedTimes();
        const timesAt = (seq: number): PendingTime[] => messages[seq - 1].map((t) => ({ seq, ...t }));
        let lastSeq = 0;
        let ackFloor = 0;
        let created = 'stream-1';
        const reads = new Map<number, number>();
        for (const step of passes) {
          // The stream only grows, and the floor only moves on, unless the durable or the stream is made again.
          if (step.recreated === 0) {
            created = `${created}+`;
            reads.clear();
          }
          lastSeq = Math.max(lastSeq, Math.round(step.stored * messages.length));
          ackFloor = step.floorBack ? Math.floor(ackFloor / 2) : Math.max(ackFloor, Math.round(step.acked * lastSeq));
          const from = pending.nextToRead(ackFloor, lastSeq, created);
          // Never after a message past the floor that it has not read.
          expect(from).toBeGreaterThanOrEqual(ackFloor + 1);
          const read: PendingTime[] = [];
          for (let seq = from; seq <= lastSeq; seq++) {
            read.push(...timesAt(seq));
            reads.set(seq, (reads.get(seq) ?? 0) + 1);
          }
          pending.add(read, lastSeq);
          const expected: PendingTime[] = [];
          for (let seq = ackFloor + 1; seq <= lastSeq; seq++) expected.push(...timesAt(seq));
          expect(pending.oldestByOrganization()).toEqual(oldestOf(expected));
          if (!passes.some((p) => p.floorBack)) for (const count of reads.values()) expect(count).toBe(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('starts at the floor again once told to forget what it read', () => {
    const pending = new PendingReceivedTimes();
    expect(pending.nextToRead(0, 10, 'c')).toBe(1);
    pending.add([{ seq: 3, organizationId: 'acme', receivedAtMs: 5 }], 10);
    expect(pending.nextToRead(2, 12, 'c')).toBe(11);
    expect(pending.oldestByOrganization()).toEqual(new Map([['acme', 5]]));
    pending.forget();
    expect(pending.nextToRead(2, 12, 'c')).toBe(3);
    expect(pending.oldestByOrganization()).toEqual(new Map());
  });
});
