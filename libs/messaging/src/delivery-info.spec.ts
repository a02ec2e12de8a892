import path from 'node:path';
import fc from 'fast-check';
import type { JsMsg } from '@nats-io/jetstream';
import { deliveryCountOf, deliverySequenceOf, storedAtMsOf, streamSequenceOf } from './delivery-info';

// nats.js's own message class (the package does not export it), so `seq` and `info` are what a consumer gets.
const { JsMsgImpl } = require(path.join(path.dirname(require.resolve('@nats-io/jetstream')), 'jsmsg.js')) as {
  JsMsgImpl: new (msg: { reply: string }, timeout: number) => JsMsg;
};
const delivered = (reply: string): JsMsg => new JsMsgImpl({ reply }, 5_000);

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
const count = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
// The server's timestamps: nanoseconds since the epoch, written in full.
const nanos = fc.bigInt({ min: 1n, max: 9_999_999_999_999_999_999n });

describe('delivery-info', () => {
  it('reads the stream sequence, delivery sequence and stored time as nats.js does, in either subject layout', () => {
    fc.assert(
      fc.property(
        fc.record({ domain: fc.option(name), hash: name, stream: name, consumer: name, deliveries: count, seq: count, dseq: count, nanos, pending: fc.nat(), random: fc.option(name) }),
        ({ domain, hash, stream, consumer, deliveries, seq, dseq, nanos, pending, random }) => {
          const numbers = `${deliveries}.${seq}.${dseq}.${nanos}.${pending}`;
          const replies = [`$JS.ACK.${stream}.${consumer}.${numbers}`, `$JS.ACK.${domain ?? '_'}.${hash}.${stream}.${consumer}.${numbers}${random === null ? '' : `.${random}`}`];
          for (const reply of replies) {
            const message = delivered(reply);
            expect(streamSequenceOf(message)).toBe(message.seq);
            expect(deliverySequenceOf(message)).toBe(message.info.deliverySequence);
            expect(deliveryCountOf(message)).toBe(message.info.deliveryCount);
            expect(deliveryCountOf(message) > 1).toBe(message.redelivered);
            expect(storedAtMsOf(message)).toBe(Number(nanos / 1_000_000n));
            // nats.js's own reading rounds the nanoseconds as a double: at most a millisecond apart.
            expect(Math.abs(storedAtMsOf(message) - Math.floor(message.info.timestampNanos / 1e6))).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('leaves what it cannot read to nats.js: a subject that is not an ack subject is refused, a token that is not a number reads as nats.js reads it', () => {
    for (const reply of ['', 'inbox.abc', '$JS.ACK.only.five.tokens', '$JS.NAK.s.c.1.2.3.4.5']) {
      const message = delivered(reply);
      expect(() => message.seq).toThrow();
      expect(() => streamSequenceOf(message)).toThrow();
    }
    // A message without the reply subject nats.js's own class has: its declared fields are read instead.
    const declaredOnly = { seq: 5, info: { deliverySequence: 7, timestampNanos: 2_500_000, deliveryCount: 3 } } as unknown as JsMsg;
    expect([streamSequenceOf(declaredOnly), deliverySequenceOf(declaredOnly), storedAtMsOf(declaredOnly), deliveryCountOf(declaredOnly)]).toEqual([5, 7, 2, 3]);
    const odd = delivered('$JS.ACK.s.c.1.x.3.4.5');
    expect(streamSequenceOf(odd)).toBe(odd.seq);
    expect(deliverySequenceOf(odd)).toBe(3);
    expect(deliveryCountOf(odd)).toBe(1);
  });
});
