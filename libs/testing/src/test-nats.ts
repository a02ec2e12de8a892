import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './test-database';
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
 * The harness spawns the server itself (rather than through `startEmbeddedNats`) to own its pid.
 */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-nats-'));
  const port = await freePort();
  let server = await spawnNats(dir, port);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return server.pid;
    },
    stop: () => server.signalAndWait('SIGTERM'),
    start: async () => {
      server = await spawnNats(dir, port);
    },
    kill: () => server.signalAndWait('SIGKILL'),
    pause: async () => {
      server.signal('SIGSTOP');
      await waitFor('nats-server to be stopped', () => processState(server.pid) === 'T', 5_000, 10);
    },
    resume: () => server.signal('SIGCONT'),
    destroy: async () => {
      server.signal('SIGCONT');
      await server.signalAndWait('SIGTERM').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface NatsProcess {
  pid: number;
  signal(signal: NodeJS.Signals): void;
  signalAndWait(signal: NodeJS.Signals): Promise<void>;
}

async function spawnNats(storeDir: string, port: number): Promise<NatsProcess> {
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  const child: ChildProcess = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]);
    if (failed || child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on 127.0.0.1:${port}: ${failed?.message ?? (stderr.trim() || 'no output')}`);
    }
  }
  if (child.pid === undefined) throw new Error('nats-server has no pid');
  const pid = child.pid;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    pid,
    signal: (signal) => {
      if (alive()) process.kill(pid, signal);
    },
    signalAndWait: async (signal) => {
      if (!alive()) return;
      // A frozen server cannot act on SIGTERM until it runs again; SIGKILL needs no help (and must not let it run).
      if (signal !== 'SIGKILL') process.kill(pid, 'SIGCONT');
      process.kill(pid, signal);
      await exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The scheduler state letter of a process (`T` when stopped), from /proc; `T` is assumed where there is no /proc. */
function processState(pid: number): string {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return 'T';
  // Format: "pid (comm) S ...": the state follows the last ')'.
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}
