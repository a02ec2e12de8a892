import type { TestNats } from '@audit/testing';

/** The streams service's environment in its e2e specs: the test's database and bus, short refresh and flush intervals. */
export function streamsServiceEnv(databaseUrl: string, nats: TestNats, jwtSecret: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ...nats.env('streams'),
    NATS_PROVISION_STREAMS: 'false',
    AUTH_JWT_SECRET: jwtSecret,
    STREAMS_ALLOW_PRIVATE_NETWORKS: 'true',
    STREAMS_REFRESH_INTERVAL: '200ms',
    STREAMS_FLUSH_INTERVAL: '50ms',
  };
}
