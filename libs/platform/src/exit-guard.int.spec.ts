import path from 'node:path';
import { runScript } from '@audit/testing';

// In a process of its own: exitWhenSafe ends the process it runs in. The two files alone, not the whole lib: quicker.
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

  it('kills the process with SIGKILL, saying why, when the work outlives the grace period', async () => {
    const work = `holdExitWhile(new Promise(() => setInterval(() => undefined, 1000)), 'test work');`;
    const result = await runScript(exitScript(work, 1, 300), {}, 30_000);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.stderr).toContain('work still running after the grace period; killing the process (SIGKILL)');
  });
});
