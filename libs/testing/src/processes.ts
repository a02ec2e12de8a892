import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './test-database';
import { waitFor } from './wait-for';

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');

export interface RunningService {
  url: string;
  process: ChildProcess;
  /** Everything the service wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit (graceful: drains consumers). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, nothing drained. */
  kill(): Promise<void>;
}

/**
 * Starts an app (`apps/<name>/src/main.ts`) as its own process, as an operator would, and waits for /readyz.
 * It listens on `env.PORT` if given (so a restarted instance is found where clients already send), else on a free port.
 * `nodeArgs` go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startService(
  app: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  /** Another checkout of this workspace to run the app from (e.g. an older commit, for a benchmark's baseline). */
  root = WORKSPACE_ROOT,
  nodeArgs: readonly string[] = [],
): Promise<RunningService> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  // Embedded ClickHouse binds one data directory per process: each spawned service gets its own.
  const clickhousePath = mkdtempSync(path.join(tmpdir(), 'audit-ch-'));
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, 'scripts/run.js'), `apps/${app}/src/main.ts`], {
    cwd: root,
    // SWC_NODE_PROJECT names the tsconfig whose paths resolve @audit/*: the checkout's own, or a baseline
    // checkout would run this checkout's libs (scripts/run.js keeps a value it inherits).
    env: { ...process.env, SWC_NODE_PROJECT: path.join(root, 'tsconfig.base.json'), LOG_LEVEL: 'warn', CLICKHOUSE_PATH: clickhousePath, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      rmSync(clickhousePath, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `${app} to be ready`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
      const res = await fetch(`${url}/readyz`);
      return res.status === 200;
    },
    readyTimeoutMs,
    200,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n--- ${app} output ---\n${output}`);
  });
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      // A shutdown that failed (or gave up: SHUTDOWN_TIMEOUT) says why in its own log: show it with the failure.
      if (code !== 0) process.stderr.write(`--- ${app} exited with ${code ?? `signal ${child.signalCode}`} after SIGTERM; its last output ---\n${output.slice(-4000)}\n`);
      return code;
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs a TypeScript entry point of this workspace (`node scripts/run.js <entry> <args>`) as a process of its own,
 * returning stdout, stderr and the exit code; killed after `timeoutMs` if given. For work whose effects on the
 * process must be measured apart from the test runner's (whose threads earlier test files leave behind).
 */
export function runEntryProcess(entry: string, args: string[], env: Record<string, string> = {}, timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(WORKSPACE_ROOT, 'scripts/run.js'), entry, ...args], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `npm run cli -- <args>` in-process-free (a child), returning stdout, stderr and the exit code. */
export async function runCliProcess(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Commands that open ClickHouse must never share the workspace's .data (a running platform may hold it).
  const clickhousePath = env.CLICKHOUSE_PATH ? undefined : mkdtempSync(path.join(tmpdir(), 'audit-cli-ch-'));
  try {
    return await runEntryProcess('apps/cli/src/main.ts', args, { ...(clickhousePath ? { CLICKHOUSE_PATH: clickhousePath } : {}), ...env });
  } finally {
    if (clickhousePath) rmSync(clickhousePath, { recursive: true, force: true });
  }
}

/**
 * Runs a CommonJS snippet in a fresh Node process that can `require` the workspace's TypeScript (swc on
 * load, tsconfig paths). For behaviour only a separate process shows, e.g. that an error does not crash it.
 * `requireLib('persistence')` in the snippet loads `libs/persistence/src/index.ts`.
 */
export function runScript(source: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const prelude = `const requireLib = (name) => require(${JSON.stringify(path.join(WORKSPACE_ROOT, 'libs'))} + '/' + name + '/src/index.ts');\n`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', prelude + source], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
