import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORKSPACE_ROOT } from '@audit/testing';

/**
 * A service whose shutdown runs an embedded ClickHouse statement and never finishes, so SHUTDOWN_TIMEOUT
 * (1 s) forces the exit while the statement runs. `process.exit` under a running chDB statement blocks
 * until the statement ends and then may crash the process (SIGSEGV, exit status 139); the service must
 * instead exit with its code once the statement ended, or kill itself when the statement outlives the grace.
 * The statement sleeps rather than computes: its length does not depend on the machine's load.
 */
const serviceRunning = (statementSeconds: number): string => `
  const { Injectable, Module } = require('@nestjs/common');
  const { runHttpService } = require(${JSON.stringify(path.join(WORKSPACE_ROOT, 'libs/platform/src/index.ts'))});
  const { openClickHouse } = require(${JSON.stringify(path.join(WORKSPACE_ROOT, 'libs/clickhouse/src/index.ts'))});
  class Statement {
    async onModuleInit() {
      this.client = (await openClickHouse({ path: process.env.CLICKHOUSE_PATH, database: 'forced_exit', username: 'default', password: '' })).client;
    }
    onApplicationShutdown() {
      setInterval(() => undefined, 1000);
      void this.client
        .command({ query: 'SELECT sleepEachRow(0.5) FROM numbers(${statementSeconds * 2}) SETTINGS function_sleep_max_microseconds_per_block = 0, max_block_size = 1' })
        .then(() => process.stderr.write('statement finished\\n'));
      return new Promise(() => undefined);
    }
  }
  Injectable()(Statement);
  class StatementModule {}
  Module({ providers: [Statement] })(StatementModule);
  void runHttpService(StatementModule, 'forced-exit');
`;

async function terminateDuringStatement(statementSeconds: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; logs: string }> {
  const clickhousePath = mkdtempSync(path.join(tmpdir(), 'audit-forced-exit-'));
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', serviceRunning(statementSeconds)], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'), PORT: '0', HOST: '127.0.0.1', SHUTDOWN_TIMEOUT: '1s', CLICKHOUSE_PATH: clickhousePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const listening = new Promise<void>((resolve) => {
    const read = (chunk: Buffer): void => {
      logs += chunk.toString();
      if (logs.includes('forced-exit listening')) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Past every wait under test: a process still running then is a failure, shown by this SIGKILL and the logs.
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    await Promise.race([listening, exited]);
    child.kill('SIGTERM');
    return { ...(await exited), logs };
  } finally {
    clearTimeout(guard);
    rmSync(clickhousePath, { recursive: true, force: true });
  }
}

describe('forced exit during an embedded ClickHouse statement', () => {
  it('waits for the statement to end, then exits with the shutdown code', async () => {
    const result = await terminateDuringStatement(2);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(result.logs).toContain('shutdown did not finish in time; exiting');
    expect(result.logs).toContain('"msg":"waiting for running work before exiting","running":{"embedded ClickHouse statement":1}');
    // Exited from the event loop after the statement's own callback ran, not from process.exit under it.
    expect(result.logs).toContain('statement finished');
  }, 120_000);

  it('kills itself with SIGKILL, saying why, when the statement outlives the grace after the deadline', async () => {
    const result = await terminateDuringStatement(60);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.logs).toContain('work still running after the grace period; killing the process (SIGKILL)');
    expect(result.logs).not.toContain('statement finished');
  }, 120_000);
});
