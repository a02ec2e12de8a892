import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/nats-core';
import { withoutCredentials, type EnvReader } from '@audit/platform';

/** How a process proves who it is to NATS, and how it reaches the servers. Read from the environment at start. */
export interface NatsClientConfig {
  /** Every seed server of `NATS_URL` (a comma-separated list); the client picks among them and follows the cluster's gossip. */
  servers: string[];
  /** `NATS_USER` + `NATS_PASSWORD` (or `NATS_PASSWORD_FILE`): a user of the server's authorization block. */
  user?: string;
  password?: string;
  /** `NATS_CREDS`: a decentralised-auth credentials file (JWT + nkey seed), instead of user/password. */
  credsFile?: string;
  /** `NATS_TLS_CA` / `NATS_TLS_CERT` / `NATS_TLS_KEY`: files for TLS (the CA alone verifies the server; cert + key add a client certificate). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * `NATS_INBOX_PREFIX`: the subject prefix of this client's reply inboxes (default `_INBOX`). A user whose
   * permissions only allow subscribing to its own prefix cannot read other clients' replies.
   */
  inboxPrefix?: string;
}

const SERVER_PROTOCOLS = ['nats:', 'tls:'];

/** Reads the NATS client variables; every problem is recorded on `env` so start-up names them all at once. */
export function readNatsClientConfig(env: EnvReader): NatsClientConfig {
  const servers = parseServers(env.optional('NATS_URL') ?? 'nats://127.0.0.1:4222', (problem) => env.problem(problem));
  const user = env.optional('NATS_USER');
  const passwordFile = env.optional('NATS_PASSWORD_FILE');
  let password = env.optional('NATS_PASSWORD');
  if (passwordFile !== undefined) {
    if (password !== undefined) env.problem('NATS_PASSWORD and NATS_PASSWORD_FILE are both set: set one');
    try {
      password = readFileSync(passwordFile, 'utf8').trim();
    } catch (error) {
      env.problem(`NATS_PASSWORD_FILE cannot be read (${(error as Error).message})`);
    }
  }
  if (password !== undefined && user === undefined) env.problem('NATS_PASSWORD is set but NATS_USER is not');
  if (user !== undefined && password === undefined) env.problem('NATS_USER is set but neither NATS_PASSWORD nor NATS_PASSWORD_FILE is');
  const credsFile = env.optional('NATS_CREDS');
  if (credsFile !== undefined) {
    if (user !== undefined) env.problem('NATS_CREDS and NATS_USER are both set: use one way to authenticate');
    readable(env, 'NATS_CREDS', credsFile);
  }
  const caFile = env.optional('NATS_TLS_CA');
  const certFile = env.optional('NATS_TLS_CERT');
  const keyFile = env.optional('NATS_TLS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) env.problem('NATS_TLS_CERT and NATS_TLS_KEY must be set together');
  for (const [name, file] of [['NATS_TLS_CA', caFile], ['NATS_TLS_CERT', certFile], ['NATS_TLS_KEY', keyFile]] as const) {
    if (file !== undefined) readable(env, name, file);
  }
  const inboxPrefix = env.optional('NATS_INBOX_PREFIX');
  if (inboxPrefix !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(inboxPrefix)) {
    env.problem(`NATS_INBOX_PREFIX must be subject tokens without wildcards or spaces (got "${inboxPrefix}")`);
  }
  const tls = caFile || certFile ? { caFile, certFile, keyFile } : undefined;
  return { servers, user, password, credsFile, tls, inboxPrefix };
}

/** `nats://a:4222,nats://b:4222` → each URL, checked; a problem names NATS_URL and the bad entry. */
export function parseServers(value: string, problem: (message: string) => void): string[] {
  const servers = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (servers.length === 0) problem('NATS_URL must name at least one server');
  for (const server of servers) {
    let ok = false;
    try {
      ok = SERVER_PROTOCOLS.includes(new URL(server).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problem(`NATS_URL must be a URL starting with nats:// or tls://, or a comma-separated list of them (got "${withoutCredentials(server)}")`);
  }
  return servers;
}

function readable(env: EnvReader, name: string, file: string): void {
  try {
    readFileSync(file);
  } catch (error) {
    env.problem(`${name} cannot be read (${(error as Error).message})`);
  }
}

/** The connect() options that carry the configured servers, identity, TLS and inbox prefix. */
export function natsConnectOptions(config: NatsClientConfig): ConnectionOptions {
  const options: ConnectionOptions = { servers: config.servers };
  if (config.user !== undefined) Object.assign(options, { user: config.user, pass: config.password });
  if (config.credsFile !== undefined) options.authenticator = credsAuthenticator(readFileSync(config.credsFile));
  if (config.tls) options.tls = { ...config.tls };
  if (config.inboxPrefix !== undefined) options.inboxPrefix = config.inboxPrefix;
  return options;
}
