import { readMessagingConfig } from './config';

describe('messaging configuration', () => {
  // A process killed mid-batch leaves its messages unacknowledged: the ack wait is how long they sit before
  // another replica (or the restarted one) gets them. Slow batches of a live process are kept alive with working().
  it('redelivers the batch of a dead consumer after 5 s by default, and takes CONSUMER_ACK_WAIT as a duration', () => {
    expect(readMessagingConfig({}).ackWaitMs).toBe(5_000);
    expect(readMessagingConfig({ CONSUMER_ACK_WAIT: '3s' }).ackWaitMs).toBe(3_000);
  });
});
