import { readBatchCaps, type BatchCaps } from '@audit/messaging';
import { readConfig } from '@audit/platform';

export interface WriterConfig {
  /** WRITER_BATCH_SIZE, WRITER_BATCH_BYTES, WRITER_FLUSH_INTERVAL. */
  batch: BatchCaps;
  partitionCheckMs: number;
}

export const WRITER_CONFIG = Symbol('WRITER_CONFIG');

export const readWriterConfig = (source: Record<string, string | undefined> = process.env): WriterConfig =>
  readConfig(
    (env) => ({
      batch: readBatchCaps(env, 'WRITER'),
      partitionCheckMs: env.timer('PARTITION_CHECK_INTERVAL', '1h', { min: 1_000 }),
    }),
    source,
  );
