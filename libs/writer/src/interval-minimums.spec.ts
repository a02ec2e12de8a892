import fc from 'fast-check';
import { readWriterConfig } from './config';

// Each of these is a wait a timer repeats for as long as the process runs: below its minimum it became a busy
// loop (0ms fired every millisecond), so it is refused at start, naming the variable and the minimum.
describe('readWriterConfig: repeating intervals have a minimum', () => {
  it.each([
    ['PARTITION_CHECK_INTERVAL', '1s', 1_000],
  ])('refuses %s below %s and keeps it from there up', (name, min, minMs) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: minMs - 1 }), (ms) => {
        expect(() => readWriterConfig({ [name]: `${ms}ms` })).toThrow(new RegExp(`${name} must be a duration between ${min} and`));
      }),
    );
    fc.assert(fc.property(fc.integer({ min: minMs, max: 100 * minMs }), (ms) => expect(() => readWriterConfig({ [name]: `${ms}ms` })).not.toThrow()));
  });
});
