import type { StreamRecord } from '../model';
import { batchShape } from './index';

const s3 = { type: 's3', bucket: 'b', prefix: 'p/', region: 'us-east-1', forcePathStyle: false, sliceSeconds: 60, maxEvents: 100_000 } as StreamRecord['destination'];
const webhook = { type: 'webhook', url: 'https://example.com/hook' } as StreamRecord['destination'];

describe('batchShape', () => {
  it('an S3 stream fills its slice and waits the slice plus CONSUMER_ACK_WAIT for acks, so its held events need few working() signals', () => {
    expect(batchShape({ destination: s3 }, 1_000, 5_000)).toEqual({ maxBatchMessages: 100_000, maxBatchBytes: 64 * 1024 * 1024, flushIntervalMs: 60_000, ackWaitMs: 65_000 });
  });

  it('other destinations send up to 1000 events per flush interval, with CONSUMER_ACK_WAIT as it is', () => {
    expect(batchShape({ destination: webhook }, 1_000, 5_000)).toEqual({ maxBatchMessages: 1000, maxBatchBytes: 5_000_000, flushIntervalMs: 1_000, ackWaitMs: 5_000 });
  });
});
