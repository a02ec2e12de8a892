import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runCliProcess, startServiceStack, WORKSPACE_ROOT, type ServiceStack } from '@audit/testing';

/** The platform as `npm start` runs it (one standalone process) on a private database and NATS server. */
export type ConsoleStack = ServiceStack;

/** Builds the console when its sources changed (the same script `npm start` uses); fails with Vite's exit code. */
export function buildConsole(): string {
  const result = spawnSync(process.execPath, [path.join(WORKSPACE_ROOT, 'scripts/build-console.js')], { cwd: WORKSPACE_ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`scripts/build-console.js exited with ${result.status}:\n${result.stderr}\n${result.stdout}`);
  const dir = path.join(WORKSPACE_ROOT, 'dist/apps/console');
  if (!existsSync(path.join(dir, 'index.html'))) throw new Error(`the console build left no ${dir}/index.html`);
  return dir;
}

export const startConsoleStack = (consoleDir: string, extraEnv: Record<string, string> = {}): Promise<ConsoleStack> =>
  startServiceStack('standalone', { CONSOLE_DIR: consoleDir, ...extraEnv }, { dbPrefix: 'audit_console', readyTimeoutMs: 90_000 });

async function cliJson<T>(env: Record<string, string>, args: string[]): Promise<T> {
  const result = await runCliProcess([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited with ${result.code}:\n${result.stderr}\n${result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

/** An ingest key and an admin token of one organization, minted with the CLI as an operator would. */
export async function credentials(env: Record<string, string>, org: string, admin: string): Promise<{ key: string; token: string }> {
  const { key } = await cliJson<{ key: string }>(env, ['keys', 'create', '--org', org]);
  const { token } = await cliJson<{ token: string }>(env, ['token', '--org', org, '--role', 'admin', '--sub', admin, '--ttl', '2h']);
  return { key, token };
}

/** POST /v1/events with an ingest key; returns the assigned ids or fails with the answer. */
export async function postEvents(url: string, key: string, events: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 500) {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(events.slice(i, i + 500)),
    });
    const body = (await res.json()) as { ids?: string[] };
    if (res.status !== 202 || !body.ids) throw new Error(`POST /v1/events answered ${res.status}: ${JSON.stringify(body)}`);
    ids.push(...body.ids);
  }
  return ids;
}
