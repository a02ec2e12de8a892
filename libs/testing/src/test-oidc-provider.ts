import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './test-database';

/** A real OpenID provider (`oidc-provider`) on a loopback port, with one public client (PKCE, refresh tokens). */
export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  output(): string;
  stop(): Promise<void>;
}

export interface TestOidcProviderOptions {
  clientId?: string;
  redirectUris: string[];
  /** Claims of each login the provider accepts (any password), e.g. `{ alice: { org_id: 'acme', groups: ['audit-admins'] } }`. */
  accounts: Record<string, Record<string, unknown>>;
  /** Seconds an ID token lives (short, to see the console renew it). */
  idTokenTtl?: number;
  refreshTokenTtl?: number;
  /** Resource indicators (RFC 8707) the provider issues JWT access tokens for, with that resource as `aud`. */
  resources?: string[];
}

export async function startTestOidcProvider(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
  const port = await freePort();
  const clientId = options.clientId ?? 'audit-console';
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oidc/provider-server.mjs'), JSON.stringify({ ...options, clientId, port })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let line = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      line += chunk.toString();
      if (line.includes('\n')) resolve((JSON.parse(line.split('\n')[0]) as { issuer: string }).issuer);
    });
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited with ${code}:\n${output}`)));
  });
  return {
    issuer,
    clientId,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
