import { readConfig } from '@audit/platform';

export interface StreamsConfig {
  /** AES-256-GCM key of the destinations' secrets (STREAMS_SECRET_KEY); see `secretKeyOf` for the fallback. */
  secretKey?: Buffer;
  /** Lets destinations point at loopback, private and link-local addresses (STREAMS_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
  /** Deliveries in progress at once across every stream of this replica (fair share: one batch per stream). */
  concurrency: number;
  /** How often a replica re-reads the streams' definitions (creations, pauses, replays made through another replica). */
  refreshIntervalMs: number;
  /** Longest an HTTP, syslog or S3 delivery may take before it counts as failed (and is retried). */
  deliveryTimeoutMs: number;
  /** Longest a batch fills before it is sent (S3 destinations use their own slice). */
  flushIntervalMs: number;
  /** Consecutive failed attempts after which a stream is shown as failing. */
  failingAfter: number;
  /** Delivery records kept per stream. */
  historyPerStream: number;
}

export const STREAMS_CONFIG = Symbol('STREAMS_CONFIG');

/**
 * Reads STREAMS_*. The secret key is 32 bytes in base64 or as 64 hex digits.
 */
export const readStreamsConfig = (source: Record<string, string | undefined> = process.env): StreamsConfig =>
  readConfig((env) => {
    const raw = env.optional('STREAMS_SECRET_KEY');
    let secretKey: Buffer | undefined;
    if (raw !== undefined) {
      const decoded = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
      if (decoded.length !== 32) env.problem('STREAMS_SECRET_KEY must be 32 bytes, in base64 or as 64 hex digits (openssl rand -base64 32)');
      else secretKey = decoded;
    }
    return {
      secretKey,
      allowPrivateNetworks: env.bool('STREAMS_ALLOW_PRIVATE_NETWORKS', false),
      concurrency: env.int('STREAMS_CONCURRENCY', 8, { min: 1, max: 256 }),
      refreshIntervalMs: env.timer('STREAMS_REFRESH_INTERVAL', '2s', { min: 100 }),
      deliveryTimeoutMs: env.timer('STREAMS_DELIVERY_TIMEOUT', '15s'),
      flushIntervalMs: env.timer('STREAMS_FLUSH_INTERVAL', '1s'),
      failingAfter: env.int('STREAMS_FAILING_AFTER', 3, { min: 1, max: 1000 }),
      historyPerStream: env.int('STREAMS_HISTORY', 200, { min: 10, max: 10_000 }),
    };
  }, source);
