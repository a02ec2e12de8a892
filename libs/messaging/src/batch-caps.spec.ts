import { readConfig } from '@audit/platform';
import { readBatchCaps } from './canonical-events.consumer';

describe('readBatchCaps', () => {
  const read = (env: Record<string, string>) => readConfig((e) => readBatchCaps(e, 'WRITER'), env);

  it("reads the service's own three variables, each with its default", () => {
    expect(read({})).toEqual({ maxBatchMessages: 1000, maxBatchBytes: 8 * 1024 * 1024, flushIntervalMs: 50 });
    expect(read({ WRITER_BATCH_SIZE: '5000', WRITER_BATCH_BYTES: '2048', WRITER_FLUSH_INTERVAL: '1s', SEALER_BATCH_SIZE: '7' })).toEqual({
      maxBatchMessages: 5000,
      maxBatchBytes: 2048,
      flushIntervalMs: 1000,
    });
    expect(readConfig((e) => readBatchCaps(e, 'SEALER', { maxBatchMessages: 2, maxBatchBytes: 4096, flushIntervalMs: 10 }), {})).toEqual({
      maxBatchMessages: 2,
      maxBatchBytes: 4096,
      flushIntervalMs: 10,
    });
  });

  it('names every bad variable at once', () => {
    const bad = () => read({ WRITER_BATCH_SIZE: '0', WRITER_BATCH_BYTES: '10', WRITER_FLUSH_INTERVAL: 'soon' });
    expect(bad).toThrow(/WRITER_BATCH_SIZE must be an integer between 1 and 20000/);
    expect(bad).toThrow(/WRITER_BATCH_BYTES must be an integer/);
    expect(bad).toThrow(/WRITER_FLUSH_INTERVAL must be a duration/);
  });
});
