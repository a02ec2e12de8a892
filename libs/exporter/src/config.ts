import { readConfig } from '@audit/platform';

/** Where export files go: a local directory by default, an S3-compatible bucket when one is named. */
export type StorageConfig =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      /** Absent: the SDK's default chain (environment, instance role, …). */
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

export interface ExporterConfig {
  storage: StorageConfig;
  /** How long a finished file is kept (and links to it may work) before it is removed. */
  fileTtlMs: number;
  /** How long a download link works after it was issued (by a listing). */
  linkTtlSeconds: number;
  /** `EXPORT_LINK_SECRET`: the links' own signing secret; absent, they are signed with the token secret (see linkSecret). */
  linkSecret?: Uint8Array;
  /** Export jobs one worker process runs at once. */
  workerConcurrency: number;
  pollIntervalMs: number;
  heartbeatIntervalMs: number;
  /** A running job whose heartbeat is older than this belongs to a dead worker and is claimed again. */
  staleAfterMs: number;
  /** Claims of one job before it is marked failed. */
  maxAttempts: number;
  sweepIntervalMs: number;
  /** zlib level of the gzip'd CSV (1 fastest … 9 smallest). */
  gzipLevel: number;
}

export const EXPORTER_CONFIG = Symbol('EXPORTER_CONFIG');

export const readExporterConfig = (source: Record<string, string | undefined> = process.env): ExporterConfig =>
  readConfig((env) => {
    const bucket = env.optional('EXPORT_S3_BUCKET');
    const accessKeyId = env.optional('EXPORT_S3_ACCESS_KEY_ID');
    const secretAccessKey = env.optional('EXPORT_S3_SECRET_ACCESS_KEY');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      env.problem('EXPORT_S3_ACCESS_KEY_ID and EXPORT_S3_SECRET_ACCESS_KEY must be set together');
    }
    const storage: StorageConfig = bucket
      ? {
          kind: 's3',
          bucket,
          prefix: env.string('EXPORT_S3_PREFIX', 'exports/'),
          endpoint: env.url('EXPORT_S3_ENDPOINT', ['http:', 'https:']),
          region: env.string('EXPORT_S3_REGION', 'us-east-1'),
          forcePathStyle: env.bool('EXPORT_S3_FORCE_PATH_STYLE', false),
          credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
        }
      : { kind: 'local', dir: env.string('EXPORT_DIR', '.data/exports') };
    const staleAfterMs = env.duration('EXPORT_JOB_STALE_AFTER', '30s');
    const heartbeatIntervalMs = env.timer('EXPORT_HEARTBEAT_INTERVAL', '5s', { min: 100 });
    if (heartbeatIntervalMs * 2 > staleAfterMs) env.problem('EXPORT_HEARTBEAT_INTERVAL must be at most half of EXPORT_JOB_STALE_AFTER');
    const linkSecret = env.optional('EXPORT_LINK_SECRET')?.trim();
    if (linkSecret !== undefined && linkSecret.length < 32) env.problem('EXPORT_LINK_SECRET must be at least 32 characters');
    return {
      storage,
      fileTtlMs: env.duration('EXPORT_FILE_TTL', '24h'),
      linkTtlSeconds: env.int('EXPORT_LINK_TTL_SECONDS', 3600, { min: 1, max: 7 * 86_400 }),
      linkSecret: linkSecret ? new TextEncoder().encode(linkSecret) : undefined,
      workerConcurrency: env.int('EXPORT_WORKER_CONCURRENCY', 1, { min: 0, max: 16 }),
      pollIntervalMs: env.timer('EXPORT_POLL_INTERVAL', '1s', { min: 100 }),
      heartbeatIntervalMs,
      staleAfterMs,
      maxAttempts: env.int('EXPORT_MAX_ATTEMPTS', 3, { min: 1, max: 20 }),
      sweepIntervalMs: env.timer('EXPORT_SWEEP_INTERVAL', '1m', { min: 1_000 }),
      gzipLevel: env.int('EXPORT_GZIP_LEVEL', 6, { min: 1, max: 9 }),
    };
  }, source);
