import { readConfig } from '@audit/platform';

export interface WriterConfig {
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
  partitionCheckMs: number;
}

export const WRITER_CONFIG = Symbol('WRITER_CONFIG');

export const readWriterConfig = (source: Record<string, string | undefined> = process.env): WriterConfig =>
  readConfig(
    (env) => ({
      batchSize: env.int('WRITER_BATCH_SIZE', 1000, { min: 1, max: 20_000 }),
      batchBytes: env.int('WRITER_BATCH_BYTES', 8 * 1024 * 1024, { min: 1024 }),
      flushIntervalMs: env.duration('WRITER_FLUSH_INTERVAL', '50ms'),
      partitionCheckMs: env.duration('PARTITION_CHECK_INTERVAL', '1h'),
    }),
    source,
  );
