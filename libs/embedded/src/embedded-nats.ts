import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { natsFiles, writeNatsServerConfig, type NatsAuthState } from './nats-auth';
import { isListening } from './ports';
import { readEmbeddedConfig } from './config';

export interface EmbeddedNats {
  url: string;
  /** The users the server knows (passwords of the provisioner, the platform, each service and each emitter); see nats-auth.ts. */
  auth: NatsAuthState;
  /** The directory of its store, users and configuration. */
  dir: string;
  /** The server's process id (tests freeze it with SIGSTOP to simulate a hung host). */
  pid: number;
  /** Sends the signal (SIGTERM by default) and resolves once the server has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting, e.g. SIGSTOP / SIGCONT. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts a local `nats-server -js` for `npm start` on embedded defaults, and for tests. NATS ships no npm
 * build, so the binary comes from the system package manager; its absence is reported with the package name.
 * The server runs with the platform's users and permissions (a configuration written under `dataDir`, see
 * nats-auth.ts): nothing connects without a password, and emitters publish only their organization's raw events.
 */
export async function startEmbeddedNats(options: { dataDir: string; port: number; host?: string; noAuthUser?: string }): Promise<EmbeddedNats> {
  const host = options.host ?? '127.0.0.1';
  const binary = readEmbeddedConfig().natsServerBin;
  if (spawnSync(binary, ['--version']).error) {
    throw new Error(
      `NATS_URL is not set and "${binary}" is not on PATH. Install it (Debian/Ubuntu: apt-get install nats-server; ` +
        'macOS: brew install nats-server) or set NATS_URL to a NATS server with JetStream.',
    );
  }
  const storeDir = path.resolve(options.dataDir);
  mkdirSync(storeDir, { recursive: true });
  const auth = writeNatsServerConfig({ host, port: options.port, dir: storeDir, noAuthUser: options.noAuthUser });
  const child = spawn(binary, ['-c', natsFiles(storeDir).config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await isListening(options.port, host))) {
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on ${host}:${options.port}: ${spawnError?.message ?? (stderr.trim() || 'no output')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (child.pid === undefined) throw new Error('nats-server has no pid');
  return {
    url: `nats://${host}:${options.port}`,
    auth,
    dir: storeDir,
    pid: child.pid,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        // A frozen server must be thawed to act on SIGTERM.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        child.kill(signal);
      }
      await exited;
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}
