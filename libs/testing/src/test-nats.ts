import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  credentialsEnv,
  freePort,
  issueEmitterCredentials,
  platformCredentials,
  provisionerCredentials,
  serviceCredentials,
  startEmbeddedNats,
  type NatsCredentials,
} from '@audit/embedded';
import type { BusService } from '@audit/bus-topology';
import { waitFor } from './wait-for';

/** Who connects: the provisioner (everything), the all-in-one platform, or one service. */
export type TestNatsRole = 'provisioner' | 'platform' | BusService;

export interface TestNats {
  /** Connecting without credentials to this URL acts as the provisioner (the test's privileged view). */
  url: string;
  port: number;
  /** The user and password of a role, as the server's permissions know it (see libs/embedded nats-auth.ts). */
  credentials(role: TestNatsRole): NatsCredentials;
  /** NATS_URL, NATS_USER, NATS_PASSWORD and NATS_INBOX_PREFIX of a role, to boot a service as that user. */
  env(role: TestNatsRole): Record<string, string>;
  /** Adds (once) the emitter user of an organization, reloads the server, and returns its credentials. */
  emitter(organizationId: string): Promise<NatsCredentials>;
  /** The nats-server's pid (changes after `start`), e.g. to freeze it with SIGSTOP. */
  readonly pid: number;
  /** Stops the server (its store is kept) so a test can simulate an outage; `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGKILL: the server dies without flushing anything; `start` brings it back on the same store. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets open but answers nothing, like a frozen host. Resolves once it is stopped. */
  pause(): Promise<void>;
  resume(): void;
  destroy(): Promise<void>;
}

/**
 * A private `nats-server -js` per test file, on a free port with its own store: the AUDIT_* streams of
 * one test never meet another's, and a test may stop, kill or freeze the bus without disturbing anything else.
 * It runs with the platform's users and permissions, like `npm start`; a connection without credentials
 * acts as the provisioner, so a test sees and does everything unless it connects as a narrower role.
 */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-nats-'));
  const port = await freePort();
  const start = () => startEmbeddedNats({ dataDir: dir, port, noAuthUser: 'provisioner' });
  let server = await start();
  const credentials = (role: TestNatsRole): NatsCredentials =>
    role === 'provisioner' ? provisionerCredentials(server.auth) : role === 'platform' ? platformCredentials(server.auth) : serviceCredentials(server.auth, role);
  return {
    url: server.url,
    port,
    credentials,
    env: (role) => ({ NATS_URL: server.url, ...credentialsEnv(credentials(role)) }),
    emitter: (organizationId) => issueEmitterCredentials(dir, server.url, organizationId),
    get pid() {
      return server.pid;
    },
    stop: () => server.stop('SIGTERM'),
    start: async () => {
      server = await start();
    },
    kill: () => server.stop('SIGKILL'),
    pause: async () => {
      server.signal('SIGSTOP');
      await waitFor('nats-server to be stopped', () => processState(server.pid) === 'T', 5_000, 10);
    },
    resume: () => server.signal('SIGCONT'),
    destroy: async () => {
      await server.stop('SIGTERM').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The scheduler state letter of a process (`T` when stopped), from /proc; `T` is assumed where there is no /proc. */
function processState(pid: number): string {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return 'T';
  // Format: "pid (comm) S ...": the state follows the last ')'.
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}
