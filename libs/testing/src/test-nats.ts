import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedNats } from '@audit/embedded';
import { waitFor } from './wait-for';

export interface TestNats {
  url: string;
  port: number;
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
 */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-nats-'));
  const port = await freePort();
  let server = await startEmbeddedNats({ dataDir: dir, port });
  return {
    url: server.url,
    port,
    get pid() {
      return server.pid;
    },
    stop: () => server.stop('SIGTERM'),
    start: async () => {
      server = await startEmbeddedNats({ dataDir: dir, port });
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
