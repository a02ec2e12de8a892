import fc from 'fast-check';
import { PENDING_MEMORY_LIMIT, PendingReceived, type HeldMessage, type ReceivedNote } from './pending-received';

/** A stream as a pass sees it: the note of each sequence (undefined: no event, or a sequence the filter skips). */
type Stream = Array<ReceivedNote | undefined>;

/** What a scan of every message past the floor (the bound before it remembered anything) finds. */
function freshOldest(stream: Stream, floor: number, lastSeq: number): Map<string, number> {
  const oldest = new Map<string, number>();
  for (let seq = floor + 1; seq <= lastSeq; seq++) {
    const note = stream[seq - 1];
    if (note === undefined) continue;
    for (const org of [note.organizationId, note.alsoFor]) {
      if (org === undefined) continue;
      const known = oldest.get(org);
      if (known === undefined || note.receivedAtMs < known) oldest.set(org, note.receivedAtMs);
    }
  }
  return oldest;
}

/** One pass as ReceivedThroughBound.readPending runs it; returns the result and how many messages its scan read. */
function pass(pending: PendingReceived, stream: Stream, floor: number, lastSeq: number): { oldest: Map<string, number>; read: number } {
  pending.advance(floor, lastSeq);
  const from = pending.coveredThrough() + 1;
  let read = 0;
  for (let seq = from; seq <= lastSeq; seq++) {
    read++;
    const note = stream[seq - 1];
    if (note !== undefined) pending.noteScanned(seq, note);
  }
  pending.markCovered(lastSeq);
  return { oldest: pending.oldestByOrganization(), read };
}

const noteArb: fc.Arbitrary<ReceivedNote | undefined> = fc.option(
  fc.record({
    organizationId: fc.constantFrom('a', 'b', 'c'),
    alsoFor: fc.option(fc.constantFrom('b', 'd'), { nil: undefined }),
    receivedAtMs: fc.integer({ min: 0, max: 1_000 }),
  }),
  { nil: undefined, freq: 6 },
);

/** A step: the stream grows, the sealer is delivered some messages, its floor moves on, then a pass runs. */
const stepArb = fc.record({ grow: fc.nat(12), delivered: fc.array(fc.nat(40), { maxLength: 8 }), floorStep: fc.nat(6) });

/** For the cases where the sealer holds no undecoded message: none is ever read. */
const noHeldMessage = (): never => {
  throw new Error('no message is held in this case');
};

/** A held message whose payload is the note's JSON, and the reader that reads it as the bound does (or undefined: no event). */
const held = (note: ReceivedNote | undefined): HeldMessage => ({ subject: 'audit.events.x.LOGIN', data: Buffer.from(JSON.stringify(note ?? 'not an event')) });
const readHeld = (message: HeldMessage): ReceivedNote | undefined => {
  const value = JSON.parse(Buffer.from(message.data).toString('utf8')) as ReceivedNote | string;
  return typeof value === 'string' ? undefined : value;
};

describe('PendingReceived', () => {
  it('gives each pass what a scan of every message past the floor gives', () => {
    fc.assert(
      fc.property(fc.array(noteArb, { minLength: 1, maxLength: 120 }), fc.array(stepArb, { minLength: 1, maxLength: 20 }), (stream, steps) => {
        const pending = new PendingReceived(readHeld);
        let lastSeq = 0;
        let floor = 0;
        for (const { grow, delivered, floorStep } of steps) {
          lastSeq = Math.min(stream.length, lastSeq + grow);
          // The sealer's own deliveries: messages past the floor of the stream as stored, each held as it
          // arrives (any message, event or not) and, if an event, later decoded.
          for (const d of delivered) {
            const seq = floor + 1 + (d % Math.max(1, lastSeq - floor));
            const note = stream[seq - 1];
            if (seq > lastSeq) continue;
            if (d % 3 !== 0 || note === undefined || note.alsoFor !== undefined) pending.noteHeld(seq, held(note));
            else pending.noteDelivered(seq, note);
          }
          floor = Math.min(lastSeq, floor + floorStep);
          expect(pass(pending, stream, floor, lastSeq).oldest).toEqual(freshOldest(stream, floor, lastSeq));
        }
      }),
    );
  });

  it('reads each message at most once across passes while the floor only moves on', () => {
    fc.assert(
      fc.property(fc.array(noteArb, { minLength: 1, maxLength: 120 }), fc.array(fc.tuple(fc.nat(12), fc.nat(6)), { minLength: 1, maxLength: 20 }), (stream, steps) => {
        const pending = new PendingReceived(noHeldMessage);
        let lastSeq = 0;
        let floor = 0;
        let read = 0;
        for (const [grow, floorStep] of steps) {
          lastSeq = Math.min(stream.length, lastSeq + grow);
          floor = Math.min(lastSeq, floor + floorStep);
          read += pass(pending, stream, floor, lastSeq).read;
        }
        expect(read).toBeLessThanOrEqual(lastSeq);
      }),
    );
  });

  it('scans nothing the sealer was delivered', () => {
    const pending = new PendingReceived(noHeldMessage);
    for (let seq = 1; seq <= 100; seq++) pending.noteDelivered(seq, { organizationId: 'a', receivedAtMs: 1_000 + seq });
    pending.advance(40, 100);
    expect(pending.coveredThrough()).toBe(100);
    expect(pending.oldestByOrganization()).toEqual(new Map([['a', 1_041]]));
  });

  it('scans nothing the sealer holds undecoded, and reads each held message once', () => {
    let reads = 0;
    const pending = new PendingReceived((message) => (reads++, readHeld(message)));
    for (let seq = 1; seq <= 100; seq++) pending.noteHeld(seq, held(seq % 10 === 0 ? undefined : { organizationId: seq % 2 === 0 ? 'a' : 'b', receivedAtMs: 1_000 + seq }));
    pending.advance(40, 100);
    expect(pending.coveredThrough()).toBe(100);
    expect(pending.oldestByOrganization()).toEqual(new Map([['a', 1_042], ['b', 1_041]]));
    expect(reads).toBe(60);
    // Decoded since: its note replaces the held message, which is not read again.
    pending.noteDelivered(41, { organizationId: 'b', receivedAtMs: 1_041 });
    expect(pending.oldestByOrganization()).toEqual(new Map([['a', 1_042], ['b', 1_041]]));
    expect(reads).toBe(60);
  });

  it('forgets everything when the floor goes back (the consumer made anew) or the stream is shorter than what was covered', () => {
    const pending = new PendingReceived(noHeldMessage);
    pending.advance(0, 10);
    for (let seq = 1; seq <= 10; seq++) pending.noteScanned(seq, { organizationId: 'a', receivedAtMs: seq });
    pending.markCovered(10);
    pending.advance(5, 10);
    pending.advance(2, 10);
    expect(pending.coveredThrough()).toBe(2);
    expect(pending.oldestByOrganization()).toEqual(new Map());
    pending.advance(2, 10);
    pending.markCovered(10);
    pending.advance(2, 4);
    expect(pending.coveredThrough()).toBe(2);
  });

  it('stops noting deliveries past its limit, and a scan then reads them', () => {
    const pending = new PendingReceived(noHeldMessage);
    for (let seq = 1; seq <= PENDING_MEMORY_LIMIT + 10; seq++) pending.noteDelivered(seq, { organizationId: 'a', receivedAtMs: seq });
    pending.advance(0, PENDING_MEMORY_LIMIT + 10);
    expect(pending.coveredThrough()).toBe(PENDING_MEMORY_LIMIT);
  });
});
