import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

// A service whose shutdown hook never finishes while something keeps the process alive (a drain that never
// ends, a socket that never closes).
const HANGING_SERVICE = `
  const { Injectable, Module } = require('@nestjs/common');
  const { runHttpService } = require(${JSON.stringify(path.join(ROOT, 'libs/platform/src/index.ts'))});
  class Hang { onApplicationShutdown() { setInterval(() => undefined, 1000); return new Promise(() => undefined); } }
  Injectable()(Hang);
  class HangModule {}
  Module({ providers: [Hang] })(HangModule);
  void runHttpService(HangModule, 'hang');
`;

describe('graceful shutdown', () => {
  it('gives up after SHUTDOWN_TIMEOUT, says so and exits 1 instead of hanging until SIGKILL', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', HANGING_SERVICE], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'), PORT: '0', HOST: '127.0.0.1', SHUTDOWN_TIMEOUT: '1s' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    const listening = new Promise<void>((resolve) => {
      const read = (chunk: Buffer): void => {
        logs += chunk.toString();
        if (logs.includes('hang listening')) resolve();
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      await listening;
      child.kill('SIGTERM');
      const code = await exited;
      expect(code).toBe(1);
      expect(logs).toContain('shutdown did not finish in time; exiting');
    } finally {
      clearTimeout(guard);
    }
  }, 40_000);
});
