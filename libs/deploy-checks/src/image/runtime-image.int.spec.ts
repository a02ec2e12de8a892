import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { freePort } from '@audit/embedded';
import { provisionStreams, readMessagingConfig } from '@audit/messaging';
import { connectTestBus, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats, type TestNatsRole } from '@audit/testing';
import { readSourceFacts } from '../checks/source-facts';
import { assembleRuntimeImage, listFiles, type AssembledImage } from './assemble';

jest.setTimeout(600_000);

const context = path.resolve(__dirname, '../../../..');
const serviceApps = readSourceFacts(context)
  .apps.filter((a) => a.service)
  .map((a) => a.project);

interface ComposeService {
  build?: { args?: { APP?: string } };
  command?: string[];
  environment?: Record<string, string>;
}

/**
 * The image, as far as it can be proven without a Docker engine: the Dockerfile's runtime stage assembled
 * by its own instructions (see assembleRuntimeImage), then each service started the way docker-compose.yml
 * starts it (the compose service's environment, the image's ENTRYPOINT and USER) against a private NATS and
 * Postgres. ClickHouse is the embedded one (the image built WITH_EMBEDDED=true): there is no server here.
 */
describe('the runtime image, assembled from the Dockerfile without a Docker engine', () => {
  let workdir: string;
  let image: AssembledImage;
  let nats: TestNats;
  let db: TestDatabase;
  let runAs: { uid: number; gid: number; name: string } | undefined;
  let compose: Record<string, ComposeService>;

  beforeAll(async () => {
    workdir = mkdtempSync(path.join(tmpdir(), 'audit-image-'));
    runAs = nonRootUser();
    image = assembleRuntimeImage({
      context,
      workdir,
      buildArgs: { APP: 'ingest-app', WITH_EMBEDDED: 'true' },
      chownAs: runAs && runAs.name !== 'node' ? `${runAs.uid}:${runAs.gid}` : undefined,
    });
    compose = (parseDocument(readFileSync(path.join(context, 'docker-compose.yml'), 'utf8'), { merge: true }).toJS() as { services: Record<string, ComposeService> }).services;
    nats = await startTestNats();
    // As compose's `streams` service does: the services' NATS users may not create streams.
    const bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url })).finally(() => bus.close());
    db = await createTestDatabase('audit_image');
  });

  afterAll(async () => {
    await db?.drop();
    await nats?.destroy();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  /** The compose service's environment, pointed at this test's servers instead of the compose network's. */
  const environmentOf = (service: ComposeService, app: string, port: number): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(service.environment ?? {})) env[name] = composeDefault(String(value)).replaceAll('/app/', `${image.root}/`);
    for (const name of Object.keys(env)) if (name.startsWith('CLICKHOUSE_')) delete env[name];
    // The compose service's NATS user, with this test server's password for it.
    const identity = env.NATS_USER ? nats.env(env.NATS_USER as TestNatsRole) : { NATS_URL: nats.url };
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...image.env, ...env, APP: app, PORT: String(port), DATABASE_URL: db.url, ...identity };
  };

  const serviceFor = (app: string): ComposeService => {
    const found = Object.values(compose).find((s) => s.build?.args?.APP === app);
    if (!found) throw new Error(`docker-compose.yml builds no service with APP=${app}`);
    return found;
  };

  it('holds the production dependencies only, the console, and no tests, benchmarks or local state', () => {
    const lock = JSON.parse(readFileSync(path.join(context, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([where, p]) => where.startsWith('node_modules/') && p.dev === true);
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.map(([where]) => where).filter((where) => existsSync(path.join(image.root, where)))).toEqual([]);
    expect(existsSync(path.join(image.root, 'node_modules/@nestjs/core'))).toBe(true);
    expect(existsSync(path.join(image.root, 'dist/apps/console/index.html'))).toBe(true);
    const files = listFiles(image.root, image.root).filter((f) => !f.startsWith('node_modules/'));
    expect(files.filter((f) => /\.spec\.tsx?$|^bench\/|^k8s\/|^\.data\/.+|^\.git\//.test(f))).toEqual([]);
  });

  it('migrates as the compose `migrate` service does, from the entrypoint as its non-root user', async () => {
    const migrate = Object.values(compose).find((s) => s.command?.[0] === 'migrate');
    if (!migrate?.build?.args?.APP) throw new Error('docker-compose.yml has no migrate service');
    const result = await run(image.entrypoint, migrate.command ?? [], environmentOf(migrate, migrate.build.args.APP, await freePort()));
    expect(result).toMatchObject({ code: 0 });
  });

  it.each(serviceApps)('%s starts from the entrypoint with its compose environment, passes the HEALTHCHECK and /readyz, and stops cleanly on SIGTERM', async (app) => {
    expect(execFileSync('node', ['scripts/start-app.js', '--resolve'], { cwd: image.root, env: { ...process.env, APP: app } }).toString()).toContain(`main.ts`);
    const port = await freePort();
    const env = environmentOf(serviceFor(app), app, port);
    const child = spawn(image.entrypoint[0], image.entrypoint.slice(1), { cwd: image.root, env, stdio: ['ignore', 'pipe', 'pipe'], ...ids() });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // An app that dies at start fails the test at once, with its output, instead of after the whole wait.
    const died = exited.then((code) => Promise.reject(new Error(`${app} exited with ${code} before it was healthy`)));
    died.catch(() => undefined);
    try {
      await Promise.race([waitFor(`${app} to pass its HEALTHCHECK`, async () => (await run(image.healthcheck, [], env)).code === 0, 90_000, 1_000), died]).catch(
        (error: Error) => {
          throw new Error(`${error.message}\n--- ${app} output ---\n${output}`);
        },
      );
      await waitFor(`${app} to be ready`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60_000, 250);
      if (runAs) expect(processUid(child)).toBe(runAs.uid);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  function ids(): { uid?: number; gid?: number } {
    return runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  }

  function run(command: string[], extra: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(command[0], [...command.slice(1), ...extra], { cwd: image.root, env, stdio: ['ignore', 'pipe', 'pipe'], ...ids() });
      let output = '';
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      child.once('exit', (code) => resolve({ code, output }));
    });
  }
});

/** `${VAR:-default}` as Compose resolves it with VAR unset. */
function composeDefault(value: string): string {
  return value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
}

/** The image's USER when this machine has it, else `nobody`; none when not root (then it runs as whoever runs the test). */
function nonRootUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['node', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
      return { uid, gid, name };
    } catch {
      // Not on this machine: try the next.
    }
  }
  return undefined;
}

function processUid(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}
