import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';

export interface EmbeddedNats {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a local `nats-server -js` for `npm start` on embedded defaults. NATS ships no npm build,
 * so the binary comes from the system package manager; its absence is reported with the package name.
 */
export async function startEmbeddedNats(options: { dataDir: string; port: number; host?: string }): Promise<EmbeddedNats> {
  const host = options.host ?? '127.0.0.1';
  const binary = process.env.NATS_SERVER_BIN ?? 'nats-server';
  if (spawnSync(binary, ['--version']).error) {
    throw new Error(
      `NATS_URL is not set and "${binary}" is not on PATH. Install it (Debian/Ubuntu: apt-get install nats-server; ` +
        'macOS: brew install nats-server) or set NATS_URL to a NATS server with JetStream.',
    );
  }
  const storeDir = path.resolve(options.dataDir);
  mkdirSync(storeDir, { recursive: true });
  const child: ChildProcess = spawn(binary, ['-js', '-a', host, '-p', String(options.port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(host, options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on ${host}:${options.port}: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `nats://${host}:${options.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
