import { describeDurationMinimums } from '@audit/testing';
import { readExporterConfig } from './config';

// Each of these is a wait a timer repeats for as long as the process runs: below its minimum it became a busy
// loop (0ms fired every millisecond), so it is refused at start, naming the variable and the minimum.
describeDurationMinimums('readExporterConfig', readExporterConfig, [
  ['EXPORT_POLL_INTERVAL', '100ms', 100],
  ['EXPORT_HEARTBEAT_INTERVAL', '100ms', 100],
  ['EXPORT_SWEEP_INTERVAL', '1s', 1_000],
], 'repeating intervals have a minimum');
