import { readConfig } from '@audit/platform';

/** What the CLI's own commands (`demo`, `emitter`) read from the shell; the modules read their own configs. */
export interface CliConfig {
  /** NATS_URL: the bus `demo` emits on and `emitter` reports (absent: the local default of `demo`). */
  natsUrl?: string;
  /** NATS_EMBEDDED_DIR: the embedded nats-server's users, set on embedded defaults (`npm start`). */
  natsEmbeddedDir?: string;
  /** NATS_USER, NATS_PASSWORD (or NATS_PASSWORD_FILE), NATS_INBOX_PREFIX: an emitter user given to this shell. */
  emitter: { user?: string; password?: string; passwordFile?: string; inboxPrefix?: string };
}

export const readCliConfig = (source: Record<string, string | undefined> = process.env): CliConfig =>
  readConfig(
    (env) => ({
      natsUrl: env.optional('NATS_URL'),
      natsEmbeddedDir: env.optional('NATS_EMBEDDED_DIR'),
      emitter: {
        user: env.optional('NATS_USER'),
        password: env.optional('NATS_PASSWORD'),
        passwordFile: env.optional('NATS_PASSWORD_FILE'),
        inboxPrefix: env.optional('NATS_INBOX_PREFIX'),
      },
    }),
    source,
  );
