import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const FIXTURE = path.join(__dirname, '../../testing/src/worker-context.fixture.ts');

/** Runs `source` in a Node process of its own with `env` over this one's. */
function runScript(source: string, env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', source], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Work that stands for an embedded ClickHouse statement: registered with the exit guard for `ms`, and
 * whether it finished printed as the process exits (exiting under it is what crashes a chDB process).
 */
const heldWork = `
  const { holdExitWhile } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
  let finished = false;
  const hold = (ms) => holdExitWhile(new Promise((resolve) => setTimeout(resolve, ms)).then(() => (finished = true)), 'chDB statement');
  process.on('exit', () => process.stdout.write(finished ? 'work finished' : 'work cut off'));
`;

/** The process's exits other than a signal's shutdown go through exitWhenSafe too, so none cuts an embedded statement. */
describe('exits through the exit guard', () => {
  it('a service that cannot start (a bad PORT) says why and exits 1, after the running statement', async () => {
    const result = await runScript(
      `${heldWork}
      hold(1_500);
      const { Module } = require('@nestjs/common');
      const { runHttpService } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
      class EmptyModule {}
      Module({})(EmptyModule);
      void runHttpService(EmptyModule, 'misconfigured');`,
      { PORT: 'not-a-port', HOST: '127.0.0.1' },
    );
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.stderr).toMatch(/"level":"fatal".*PORT/);
    expect(result.stderr).toContain('"msg":"waiting for running work before exiting","running":{"chDB statement":1}');
    expect(result.stdout).toBe('work finished');
  }, 60_000);

  it('a worker thread of modules that dies (as the standalone consumers thread could) ends the process with 1, after the running statement', async () => {
    const result = await runScript(
      `${heldWork}
      const { Logger } = require('@nestjs/common');
      const { JsonLogger, startWorkerContext } = require(${JSON.stringify(path.join(__dirname, 'index.ts'))});
      // As in a service, whose application logger is the JSON one.
      Logger.overrideLogger(new JsonLogger('main'));
      startWorkerContext(${JSON.stringify(FIXTURE)}, 'fixture').then(() => (process.stderr.write('fixture ready\\n'), hold(2_000)));
      setInterval(() => undefined, 1_000);`,
      { FIXTURE_DIE_AFTER_MS: '1000', LOG_LEVEL: 'log' },
    );
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.stderr).toContain('fixture ready');
    expect(result.stderr).toMatch(/"msg":"fixture thread exited unexpectedly; exiting","code":7/);
    expect(result.stderr).toContain('"msg":"waiting for running work before exiting"');
    expect(result.stdout).toBe('work finished');
  }, 60_000);
});
