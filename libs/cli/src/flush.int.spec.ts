import { spawn } from 'node:child_process';
import path from 'node:path';
import { runScript, WORKSPACE_ROOT } from '@audit/testing';

jest.setTimeout(60_000);

/**
 * A child process writes far more than a pipe holds (64 KiB on Linux) and exits at once; the parent reads
 * its stdout through a pipe, as `npm run -s cli -- ... | wc -c` does, and counts the bytes.
 */
describe('exitWhenFlushed', () => {
  const BYTES = 4 * 1024 * 1024;
  const script = (exit: string) => `
    const { exitWhenFlushed } = requireLib('cli');
    process.stdout.write('x'.repeat(${BYTES - 1}) + '\\n');
    process.stderr.write('done\\n');
    ${exit};
  `;

  it('exits with the code only after every byte of stdout and stderr reached the reader', async () => {
    const result = await runScript(script('void exitWhenFlushed(3)'));
    expect({ code: result.code, bytes: result.stdout.length, stderr: result.stderr }).toEqual({ code: 3, bytes: BYTES, stderr: 'done\n' });
  });

  it('exits quietly with the code when the reader leaves early (`| head`), instead of crashing on EPIPE', async () => {
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', '-e', `
        const { exitWhenFlushed, ignoreBrokenPipes } = require(${JSON.stringify(path.join(WORKSPACE_ROOT, 'libs/cli/src/index.ts'))});
        ignoreBrokenPipes();
        process.stdout.write('x'.repeat(${BYTES}));
        void exitWhenFlushed(0);
      `],
      { cwd: WORKSPACE_ROOT, env: { ...process.env, SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.base.json') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Like `head -c 10`: read once, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('is needed: process.exit right after the write cuts the piped output', async () => {
    const result = await runScript(script('process.exit(3)'));
    expect(result.code).toBe(3);
    expect(result.stdout.length).toBeLessThan(BYTES);
  });
});
