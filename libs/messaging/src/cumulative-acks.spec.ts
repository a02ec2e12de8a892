import fc from 'fast-check';
import { CumulativeAcks, type Sequenced } from './cumulative-acks';

/**
 * A model of a JetStream consumer under AckPolicy.All (as nats-server 2.9 implements it): deliveries numbered
 * without gaps, redeliveries first, an ack of stream sequence S settles every pending message at or below S
 * unless its delivery sequence is not past the last ack's.
 */
class ModelConsumer {
  readonly pending = new Set<number>();
  readonly redeliver: number[] = [];
  next = 1;
  dseq = 0;
  ackFloorDelivery = 0;
  ackFloor = 0;

  constructor(readonly total: number) {}

  deliver(): Sequenced | undefined {
    const seq = this.redeliver.shift() ?? (this.next <= this.total ? this.next++ : undefined);
    if (seq === undefined) return undefined;
    this.pending.add(seq);
    return { seq, dseq: ++this.dseq };
  }

  /** The ack wait ran out for every pending message but those kept alive (`working()`): they come back. */
  expire(alive: ReadonlySet<number> = new Set()): void {
    for (const seq of [...this.pending].sort((a, b) => a - b)) if (!alive.has(seq) && !this.redeliver.includes(seq)) this.redeliver.push(seq);
  }

  nak(seq: number): void {
    if (this.pending.has(seq) && !this.redeliver.includes(seq)) this.redeliver.push(seq);
  }

  ackAll(message: Sequenced): number[] {
    if (message.dseq <= this.ackFloorDelivery || message.seq <= this.ackFloor) return [];
    this.ackFloorDelivery = message.dseq;
    this.ackFloor = message.seq;
    const settled = [...this.pending].filter((seq) => seq <= message.seq);
    for (const seq of settled) {
      this.pending.delete(seq);
      const at = this.redeliver.indexOf(seq);
      if (at >= 0) this.redeliver.splice(at, 1);
    }
    return settled;
  }
}

type Step =
  | { kind: 'deliver'; lost: boolean }
  | { kind: 'settle'; pick: number }
  | { kind: 'nak'; pick: number }
  | { kind: 'expire' }
  | { kind: 'lapse' }
  | { kind: 'confirm' }
  | { kind: 'ack' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), lost: fc.nat(9).map((n) => n === 0) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nak' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  // As the batch consumer runs: what it holds or has done and not yet acked is kept alive, the rest (a
  // previous holder's, a lost delivery) comes back after newer first deliveries.
  { weight: 2, arbitrary: fc.constant({ kind: 'lapse' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'confirm' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'ack' as const }) },
);

describe('CumulativeAcks', () => {
  it('never has an ack settle a message that was not done, whatever is delivered, lost, nak\'d or redelivered, and settles everything in the end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(step, { maxLength: 200 }), fc.nat(5), (total, steps, inherited) => {
        const server = new ModelConsumer(total);
        // A previous holder may have left messages pending that this client never saw: they come back after
        // newer first deliveries, the order in which an ack of theirs can make the server ignore a later one.
        for (let i = 0; i < inherited; i++) server.deliver();
        const acks = new CumulativeAcks<Sequenced>();
        const inHand: Sequenced[] = [];
        const done = new Set<number>();
        const check = (acked: number[]): void => {
          for (const seq of acked) expect([seq, done.has(seq)]).toEqual([seq, true]);
        };
        const ack = (): void => {
          const message = acks.next();
          if (!message) return;
          // Every ack sent is one the server takes: one it ignored would leave messages believed acked pending.
          expect({ dseq: message.dseq > server.ackFloorDelivery, seq: message.seq > server.ackFloor }).toEqual({ dseq: true, seq: true });
          check(server.ackAll(message));
        };
        const confirm = (): void => {
          const before = acks.snapshot();
          acks.confirm({ ackPending: server.pending.size, lastDelivery: server.dseq }, before);
        };
        for (const s of steps) {
          switch (s.kind) {
            case 'deliver': {
              const message = server.deliver();
              if (message && !s.lost) {
                acks.received(message);
                inHand.push(message);
              }
              break;
            }
            case 'settle':
            case 'nak': {
              if (inHand.length === 0) break;
              const [message] = inHand.splice(s.pick % inHand.length, 1);
              if (s.kind === 'nak') {
                server.nak(message.seq);
              } else {
                done.add(message.seq);
                acks.settled(message);
              }
              break;
            }
            case 'expire':
              server.expire();
              break;
            case 'lapse':
              server.expire(new Set([...inHand, ...acks.unacked].map((m) => m.seq)));
              break;
            case 'confirm':
              confirm();
              break;
            case 'ack':
              ack();
              break;
          }
        }
        // Then everything runs to the end: whatever is in hand is done, the rest delivered (lost ones come
        // back once the ack wait runs out), and the consumer is confirmed and acked.
        for (let round = 0; round < 4 * total + 4 && server.pending.size + (total - server.next + 1) > 0; round++) {
          for (const message of inHand.splice(0)) {
            done.add(message.seq);
            acks.settled(message);
          }
          for (let message = server.deliver(); message; message = server.deliver()) {
            acks.received(message);
            done.add(message.seq);
            acks.settled(message);
          }
          confirm();
          ack();
          server.expire();
        }
        expect(server.pending.size).toBe(0);
        expect(server.next).toBe(total + 1);
      }),
      {
        numRuns: 500,
        // A takeover: the previous holder's message comes back after a newer first delivery and is done first.
        // Random runs seldom order the steps so; acking it first made the server ignore the ack of the newer one.
        examples: [
          [
            2,
            [
              { kind: 'deliver', lost: false },
              { kind: 'lapse' },
              { kind: 'deliver', lost: false },
              { kind: 'confirm' },
              { kind: 'settle', pick: 1 },
              { kind: 'ack' },
              { kind: 'settle', pick: 0 },
              { kind: 'ack' },
            ],
            1,
          ],
        ],
      },
    );
  });

  it('acks nothing past a message still open, then through it once it is done', () => {
    const acks = new CumulativeAcks<Sequenced>();
    const messages = [1, 2, 3, 4].map((seq) => ({ seq, dseq: seq }));
    for (const m of messages) acks.received(m);
    acks.confirm({ ackPending: 4, lastDelivery: 4 }, acks.snapshot());
    acks.settled(messages[0]);
    acks.settled(messages[2]);
    acks.settled(messages[3]);
    expect(acks.next()).toBe(messages[0]);
    expect(acks.next()).toBeUndefined();
    acks.settled(messages[1]);
    expect(acks.next()).toBe(messages[3]);
  });

  it('acks nothing after a gap in the delivery sequence until the server confirms what is pending', () => {
    const acks = new CumulativeAcks<Sequenced>();
    acks.received({ seq: 1, dseq: 1 });
    acks.confirm({ ackPending: 1, lastDelivery: 1 }, acks.snapshot());
    // Delivery 2 (stream sequence 2) never arrived.
    const third = { seq: 3, dseq: 3 };
    acks.received(third);
    acks.settled({ seq: 1, dseq: 1 });
    acks.settled(third);
    expect(acks.verified).toBe(false);
    expect(acks.next()).toBeUndefined();
    // The server still counts the lost one: no confirmation.
    expect(acks.confirm({ ackPending: 3, lastDelivery: 3 }, acks.snapshot())).toBe(false);
    // It comes back after the ack wait; now the counts agree.
    const again = { seq: 2, dseq: 4 };
    acks.received(again);
    acks.settled(again);
    expect(acks.confirm({ ackPending: 3, lastDelivery: 4 }, acks.snapshot())).toBe(true);
    expect(acks.next()).toBe(third);
  });
  it('never acks a late redelivery below a message delivered earlier: the server would ignore the later ack of that one', () => {
    const acks = new CumulativeAcks<Sequenced>();
    // Stream sequence 3 is delivered first, then 2, then a redelivery of 1 (its first copy went to a previous holder).
    const high = { seq: 3, dseq: 1 };
    const middle = { seq: 2, dseq: 2 };
    const redelivered = { seq: 1, dseq: 3 };
    for (const m of [high, middle, redelivered]) acks.received(m);
    acks.confirm({ ackPending: 3, lastDelivery: 3 }, acks.snapshot());
    acks.settled(redelivered);
    acks.settled(high);
    // Acking 1 now (delivery 3) would make the server ignore any later ack of 3 (delivery 1): none yet.
    expect(acks.next()).toBeUndefined();
    acks.settled(middle);
    expect(acks.next()).toBe(high);
    expect(acks.waiting).toBe(false);
  });

  it('lists the done messages an ack does not cover yet, for their holder to keep alive until one does', () => {
    const acks = new CumulativeAcks<Sequenced>();
    const messages = [1, 2, 3].map((seq) => ({ seq, dseq: seq }));
    for (const m of messages) acks.received(m);
    acks.confirm({ ackPending: 3, lastDelivery: 3 }, acks.snapshot());
    // 2 and 3 are done above 1, still in hand: their ack waits for it, for as long as it takes.
    acks.settled(messages[1]);
    acks.settled(messages[2]);
    expect(acks.next()).toBeUndefined();
    expect([...acks.unacked]).toEqual([messages[1], messages[2]]);
    acks.settled(messages[0]);
    expect(acks.next()).toBe(messages[2]);
    expect([...acks.unacked]).toEqual([]);
  });
});
