import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

const SERVICE = `
  const { Module } = require('@nestjs/common');
  const { runHttpService } = require(${JSON.stringify(path.join(ROOT, 'libs/platform/src/index.ts'))});
  class EmptyModule {}
  Module({})(EmptyModule);
  void runHttpService(EmptyModule, 'portless');
`;

describe('the listening line', () => {
  it('names the port the kernel chose with PORT=0, where the service then answers', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', SERVICE], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'log' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    const announced = new Promise<string>((resolve) => {
      const read = (chunk: Buffer): void => {
        logs += chunk.toString();
        // Whole lines only: a chunk may end inside one.
        const line = logs.split('\n').slice(0, -1).find((l) => l.includes('portless listening'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const url = new URL(await announced);
      expect(url.hostname).toBe('127.0.0.1');
      expect(Number(url.port)).toBeGreaterThan(0);
      // Nothing is routed in the empty module: the 404 in the platform's error shape is the service answering.
      const response = await fetch(new URL('/nowhere', url));
      expect(response.status).toBe(404);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(guard);
      child.kill('SIGKILL');
    }
  }, 40_000);
});
