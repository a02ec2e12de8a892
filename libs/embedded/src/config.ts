import path from 'node:path';
import { readConfig } from '@audit/platform';

/** What the embedded defaults (`npm start`, the CLI, tests) read from the environment. */
export interface EmbeddedConfig {
  /** Where embedded Postgres and NATS keep their data (`DATA_DIR`, default `.data`), absolute. */
  dataDir: string;
  /** The ports embedded Postgres and nats-server listen on, or are found already listening on. */
  pgPort: number;
  natsPort: number;
  /** Set: the deployment's own Postgres / NATS, and nothing is started for it. */
  databaseUrl?: string;
  natsUrl?: string;
  /** Set: the token secret's file; unset: one generated under `dataDir`. */
  authSecretFile?: string;
  /** Set: the sealer's signing key (SEAL_PRIVATE_KEY) or its file (SEAL_KEY_FILE); unset: one generated under `dataDir`. */
  sealKeySet: boolean;
  /** The nats-server binary (`NATS_SERVER_BIN`, default `nats-server` on the PATH). */
  natsServerBin: string;
}

export const readEmbeddedConfig = (source: Record<string, string | undefined> = process.env): EmbeddedConfig =>
  readConfig(
    (env) => ({
      dataDir: path.resolve(env.string('DATA_DIR', '.data')),
      pgPort: env.int('EMBEDDED_PG_PORT', 54329, { min: 1, max: 65535 }),
      natsPort: env.int('EMBEDDED_NATS_PORT', 4223, { min: 1, max: 65535 }),
      databaseUrl: env.optional('DATABASE_URL'),
      natsUrl: env.optional('NATS_URL'),
      authSecretFile: env.optional('AUTH_SECRET_FILE'),
      sealKeySet: env.optional('SEAL_PRIVATE_KEY') !== undefined || env.optional('SEAL_KEY_FILE') !== undefined,
      natsServerBin: env.string('NATS_SERVER_BIN', 'nats-server'),
    }),
    source,
  );
