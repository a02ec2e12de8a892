import { describeDurationMinimums } from '@audit/testing';
import { readStreamsConfig } from './config';

// Each of these is a wait a timer repeats for as long as the process runs: below its minimum it became a busy
// loop (0ms fired every millisecond), so it is refused at start, naming the variable and the minimum.
describeDurationMinimums('readStreamsConfig', readStreamsConfig, [
  ['STREAMS_REFRESH_INTERVAL', '100ms', 100],
], 'repeating intervals have a minimum');
