import fc from 'fast-check';
import { readMessagingConfig } from './config';

// A live consumer signals working() at most every 250 ms (workingIntervalMs): an ack wait shorter than a few of
// those had JetStream redeliver batches still being worked on, over and over, so it is refused at start.
describe('readMessagingConfig: the ack wait has a minimum', () => {
  it.each([
    ['CONSUMER_ACK_WAIT', '1s', 1_000],
  ])('refuses %s below %s and keeps it from there up', (name, min, minMs) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: minMs - 1 }), (ms) => {
        expect(() => readMessagingConfig({ [name]: `${ms}ms` })).toThrow(new RegExp(`${name} must be a duration between ${min} and`));
      }),
    );
    fc.assert(fc.property(fc.integer({ min: minMs, max: 100 * minMs }), (ms) => expect(() => readMessagingConfig({ [name]: `${ms}ms` })).not.toThrow()));
  });
});
