import { describeDurationMinimums } from '@audit/testing';
import { readMessagingConfig } from './config';

// A live consumer signals working() at most every 250 ms (workingIntervalMs): an ack wait shorter than a few of
// those had JetStream redeliver batches still being worked on, over and over, so it is refused at start.
describeDurationMinimums('readMessagingConfig', readMessagingConfig, [
  ['CONSUMER_ACK_WAIT', '1s', 1_000],
], 'the ack wait has a minimum');
