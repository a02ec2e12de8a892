import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { BUS_SERVICES, busUsers, emitterInboxPrefix, emitterUser, type BusService } from '@audit/bus-topology';

/** A NATS identity a client connects with: the values of NATS_USER, NATS_PASSWORD and NATS_INBOX_PREFIX. */
export interface NatsCredentials {
  user: string;
  password: string;
  /** The reply-inbox prefix this user may subscribe to (`_INBOX` for the platform's own users). */
  inboxPrefix: string;
}

/**
 * The users of a nats-server the platform runs itself (`npm start`, tests): passwords of the provisioner,
 * the all-in-one platform user, each service, and one emitter user per organization. Kept as JSON
 * (mode 0600) beside the server's store; the server's config is rendered from it.
 */
export interface NatsAuthState {
  provisioner: string;
  platform: string;
  services: Record<BusService, string>;
  /** organizationId → password of `emitter-<organizationId>`. */
  emitters: Record<string, string>;
}

const newPassword = (): string => randomBytes(24).toString('base64url');

/** Reads the users file, creating it (and any user it lacks) with fresh random passwords. */
export function loadOrCreateNatsAuth(file: string): NatsAuthState {
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<NatsAuthState>) : {};
  const services = { ...stored.services } as Record<BusService, string>;
  for (const service of BUS_SERVICES) services[service] ??= newPassword();
  const state: NatsAuthState = {
    provisioner: stored.provisioner ?? newPassword(),
    platform: stored.platform ?? newPassword(),
    services,
    emitters: { ...stored.emitters },
  };
  writeState(file, state);
  return state;
}

function writeState(file: string, state: NatsAuthState): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/** Adds the emitter user of `organizationId` to the users file if it is not there yet; returns its credentials. */
export function addEmitter(file: string, organizationId: string): NatsCredentials {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(organizationId)) throw new Error(`organizationId must be 1 to 64 letters, digits, "_" or "-" (got "${organizationId}")`);
  const state = loadOrCreateNatsAuth(file);
  state.emitters[organizationId] ??= newPassword();
  writeState(file, state);
  return emitterCredentials(state, organizationId);
}

export function emitterCredentials(state: NatsAuthState, organizationId: string): NatsCredentials {
  const password = state.emitters[organizationId];
  if (password === undefined) throw new Error(`no emitter user for organization "${organizationId}"`);
  return { user: emitterUser(organizationId), password, inboxPrefix: emitterInboxPrefix(organizationId) };
}

export const provisionerCredentials = (state: NatsAuthState): NatsCredentials => ({ user: 'provisioner', password: state.provisioner, inboxPrefix: '_INBOX' });
export const platformCredentials = (state: NatsAuthState): NatsCredentials => ({ user: 'platform', password: state.platform, inboxPrefix: '_INBOX' });
export const serviceCredentials = (state: NatsAuthState, service: BusService): NatsCredentials => ({
  user: service,
  password: state.services[service],
  inboxPrefix: '_INBOX',
});

/** The environment a process of that identity needs (besides NATS_URL). */
export const credentialsEnv = (credentials: NatsCredentials): Record<string, string> => ({
  NATS_USER: credentials.user,
  NATS_PASSWORD: credentials.password,
  NATS_INBOX_PREFIX: credentials.inboxPrefix,
});

/** Where a platform-run nats-server keeps its users and configuration: beside its store. */
export const natsFiles = (dir: string) => ({
  auth: path.join(dir, 'auth.json'),
  users: path.join(dir, 'users.conf'),
  config: path.join(dir, 'nats-server.conf'),
  pid: path.join(dir, 'nats-server.pid'),
});

export interface NatsServerConfigOptions {
  host: string;
  port: number;
  /** The directory of {@link natsFiles}; JetStream's store is under it. */
  dir: string;
  /**
   * A user that clients connecting without credentials act as. Only the tests' private servers set it
   * (to the provisioner), so the many tests that open a plain connection keep working; never `npm start`.
   */
  noAuthUser?: string;
}

/**
 * The nats-server configuration (JSON, which the server's format accepts, plus an `include` of the
 * users): the users live in their own file, rendered again and reloaded (SIGHUP) when an emitter is added.
 */
export function renderNatsServerConfig(options: NatsServerConfigOptions): string {
  const files = natsFiles(options.dir);
  const settings: Record<string, unknown> = {
    host: options.host,
    port: options.port,
    pid_file: files.pid,
    jetstream: { store_dir: options.dir },
  };
  if (options.noAuthUser !== undefined) settings['no_auth_user'] = options.noAuthUser;
  const json = JSON.stringify(settings, null, 2);
  return `${json.slice(0, -2)},\n  "authorization": {\n    include ${JSON.stringify(path.basename(files.users))}\n  }\n}\n`;
}

/** The `users = [...]` block: every user of {@link NatsAuthState} with its permissions (see busUsers). */
export function renderNatsUsers(auth: NatsAuthState): string {
  const passwords: Record<string, string> = { provisioner: auth.provisioner, platform: auth.platform, ...auth.services };
  for (const [org, password] of Object.entries(auth.emitters)) passwords[emitterUser(org)] = password;
  const users = busUsers(Object.keys(auth.emitters)).map(({ user, permissions }) => ({ user, password: passwords[user], permissions }));
  return `users = ${JSON.stringify(users, null, 2)}\n`;
}

/** The environment variable that holds a user's password in docker/nats-server.conf, e.g. NATS_PASSWORD_EMITTER_ACME. */
export const passwordVariable = (user: string): string => `NATS_PASSWORD_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * docker/nats-server.conf (Docker Compose): the same users as the embedded server, with each password read
 * from the server's environment (`$NATS_PASSWORD_<USER>`), and an emitter user for each organization given.
 */
export function renderComposeNatsConfig(emitterOrganizations: readonly string[]): string {
  const marker = (user: string) => `@@${passwordVariable(user)}@@`;
  const users = busUsers(emitterOrganizations).map(({ user, permissions }) => ({ user, password: marker(user), permissions }));
  const body = JSON.stringify(users, null, 2).replace(/"@@(NATS_PASSWORD_[A-Z0-9_]+)@@"/g, '$$$1');
  return [
    '# Generated from libs/bus-topology bus-permissions.ts by renderComposeNatsConfig (libs/embedded nats-auth.ts);',
    '# a test fails when they differ. Passwords come from the server\'s environment (NATS_PASSWORD_<USER>).',
    '# Emitters of other organizations: `node scripts/run.js scripts/render-nats-config.ts acme globex`, then',
    '# `docker compose kill -s HUP nats` reloads the users without a restart (docs/nats-security.md).',
    'port: 4222',
    'http_port: 8222',
    'jetstream { store_dir: "/data" }',
    `authorization { users = ${body.replace(/\n/g, '\n  ')} }`,
    '',
  ].join('\n');
}

/** Writes the users and the server configuration of `options.dir`; returns the users. */
export function writeNatsServerConfig(options: NatsServerConfigOptions): NatsAuthState {
  const files = natsFiles(options.dir);
  const auth = loadOrCreateNatsAuth(files.auth);
  writeFileSync(files.users, renderNatsUsers(auth), { mode: 0o600 });
  writeFileSync(files.config, renderNatsServerConfig(options), { mode: 0o600 });
  return auth;
}

/**
 * Adds the emitter user of `organizationId` to the server running on `dir` (if it has none yet) and
 * has the server reload its users (SIGHUP; connections stay up). Resolves once the server accepts it.
 */
export async function issueEmitterCredentials(dir: string, servers: string, organizationId: string): Promise<NatsCredentials> {
  const files = natsFiles(dir);
  const credentials = addEmitter(files.auth, organizationId);
  writeFileSync(files.users, renderNatsUsers(loadOrCreateNatsAuth(files.auth)), { mode: 0o600 });
  const pid = Number(readFileSync(files.pid, 'utf8').trim());
  process.kill(pid, 'SIGHUP');
  await waitForNatsUser(servers, credentials);
  return credentials;
}

/** Waits until the server accepts `credentials` (after a reload), at most `timeoutMs`. */
export async function waitForNatsUser(servers: string, credentials: NatsCredentials, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const nc = await connect({ servers, user: credentials.user, pass: credentials.password, inboxPrefix: credentials.inboxPrefix, timeout: 1_000 });
      await nc.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`nats-server did not accept user ${credentials.user}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
