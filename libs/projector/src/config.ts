import { readConfig } from '@audit/platform';

export interface ProjectorConfig {
  batchSize: number;
  batchBytes: number;
  flushIntervalMs: number;
}

export const PROJECTOR_CONFIG = Symbol('PROJECTOR_CONFIG');

export const readProjectorConfig = (source: Record<string, string | undefined> = process.env): ProjectorConfig =>
  readConfig(
    (env) => ({
      batchSize: env.int('PROJECTOR_BATCH_SIZE', 10_000, { min: 1, max: 100_000 }),
      batchBytes: env.int('PROJECTOR_BATCH_BYTES', 16 * 1024 * 1024, { min: 1024 }),
      flushIntervalMs: env.timer('PROJECTOR_FLUSH_INTERVAL', '200ms'),
    }),
    source,
  );
