import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/** Runs `source` in a Node process of its own (not @audit/testing's runScript: that lib depends on this one). */
function runScript(source: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', source], {
      cwd: ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(ROOT, 'tsconfig.base.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Past every wait under test: a process still running then fails the test (no exit code, no log line).
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// exitWhenSafe ends the process it runs in. The two files alone, not the whole lib: quicker to load.
const exitScript = (work: string, code: number, graceMs: number): string => `
  const { exitWhenSafe, holdExitWhile } = require(${JSON.stringify(path.join(__dirname, 'exit-guard.ts'))});
  const { JsonLogger } = require(${JSON.stringify(path.join(__dirname, 'logger.ts'))});
  ${work}
  void exitWhenSafe(${code}, ${graceMs}, new JsonLogger('exit-test'));
`;

describe('exitWhenSafe', () => {
  it('exits at once with the code when no work runs', async () => {
    const result = await runScript(exitScript('', 4, 60_000));
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 4, signal: null });
    expect(result.stderr).not.toContain('waiting for running work');
  });

  it('waits for registered work, including work registered while it waits, then exits with the code', async () => {
    const work = `
      const finished = [];
      const work = (name, ms) => holdExitWhile(new Promise((resolve) => setTimeout(resolve, ms)).then(() => finished.push(name)), 'test work');
      work('first', 300);
      setTimeout(() => work('second', 600), 100);
      process.on('exit', () => process.stdout.write(finished.join(',')));
    `;
    const result = await runScript(exitScript(work, 3, 60_000));
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 3, signal: null });
    expect(result.stdout).toBe('first,second');
    expect(result.stderr).toContain('"msg":"waiting for running work before exiting","running":{"test work":1}');
  });

  it('waits for work registered in a worker thread of the process, then exits with the code', async () => {
    const guard = JSON.stringify(path.join(__dirname, 'exit-guard.ts'));
    const cells = JSON.stringify(path.join(__dirname, 'cross-thread-lock.ts'));
    const workerSource = `
      const { holdExitWhile } = require(${guard});
      const { parentPort } = require('node:worker_threads');
      holdExitWhile(new Promise((resolve) => setTimeout(resolve, 500)).then(() => process.stdout.write('worker work done')), 'worker work');
      parentPort.postMessage('registered');
    `;
    const source = `
      const { Worker } = require('node:worker_threads');
      const { exitWhenSafe } = require(${guard});
      const { lockCellsForWorker, LOCK_CELLS_KEY } = require(${cells});
      const { JsonLogger } = require(${JSON.stringify(path.join(__dirname, 'logger.ts'))});
      const worker = new Worker(${JSON.stringify(workerSource)}, { eval: true, workerData: { [LOCK_CELLS_KEY]: lockCellsForWorker() } });
      worker.once('message', () => void exitWhenSafe(5, 60_000, new JsonLogger('exit-test')));
    `;
    const result = await runScript(source);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 5, signal: null });
    expect(result.stdout).toContain('worker work done');
    expect(result.stderr).toContain('"running":{"in other threads":1}');
  });

  it('kills the process with SIGKILL, saying why, when the work outlives the grace period', async () => {
    const work = `holdExitWhile(new Promise(() => setInterval(() => undefined, 1000)), 'test work');`;
    const result = await runScript(exitScript(work, 1, 300));
    expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.stderr).toContain('work still running after the grace period; killing the process (SIGKILL)');
  });
});
