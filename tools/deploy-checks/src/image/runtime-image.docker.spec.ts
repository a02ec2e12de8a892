import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { waitFor } from '@audit/testing';
import { readSourceFacts } from '../checks/source-facts';
import { docker, dockerOk } from './docker';

// Image builds on a loaded machine take minutes each; the waits below have their own deadlines.
jest.setTimeout(90 * 60_000);

const context = path.resolve(__dirname, '../../../..');
const apps = readSourceFacts(context).apps;
const serviceApps = apps.filter((a) => a.service);
/** Made by docker/setup.sh from Debian's packages (no registry is reachable). */
const NATS_IMAGE = 'audit-deploy/nats:bookworm';
const POSTGRES_IMAGE = 'audit-deploy/postgres:bookworm';

interface ComposeService {
  build?: { args?: { APP?: string } };
  command?: string[];
  environment?: Record<string, string>;
}

/**
 * Every image built by `docker build` from the Dockerfile as it is, then run with `docker run` the way
 * docker-compose.yml runs it: on a network of this test's own, beside NATS and Postgres containers that
 * answer to the compose service names (`nats`, `postgres`), with the compose service's environment as
 * Compose resolves it with no .env file. ClickHouse is the one exception: no ClickHouse server image can be
 * made here, so the images are built WITH_EMBEDDED=true and the CLICKHOUSE_* variables are left out (embedded
 * chDB, its data on a volume that migrate and each service in turn open, as chDB allows one process at a time).
 */
describe('the images, built and run with Docker', () => {
  const run = randomBytes(4).toString('hex');
  const network = `audit-deploy-${run}`;
  const dataVolume = `audit-deploy-data-${run}`;
  const containers: string[] = [];
  const compose = (parseDocument(readFileSync(path.join(context, 'docker-compose.yml'), 'utf8'), { merge: true }).toJS() as { services: Record<string, ComposeService> })
    .services;
  const imageOf = (dir: string) => `audit-deploy/${dir}:${run}`;

  beforeAll(async () => {
    for (const app of apps.filter((a) => a.service || a.project === 'cli-app')) {
      await docker(['build', '--network', 'host', '--build-arg', `APP=${app.project}`, '--build-arg', 'WITH_EMBEDDED=true', '-t', imageOf(app.dir), context]);
    }
    await docker(['network', 'create', network]);
    await docker(['volume', 'create', dataVolume]);
    containers.push(await start('nats', NATS_IMAGE, [], ['-js', '-sd', '/tmp/nats', '-m', '8222']));
    // Debian's postgresql: a cluster made at start, password auth from the network, as the compose service's.
    const postgres = compose.postgres.environment ?? {};
    const password = composeDefault(String(postgres.POSTGRES_PASSWORD));
    const init = [
      `echo '${password}' > /tmp/pw`,
      `initdb -D /tmp/pg -U ${postgres.POSTGRES_USER} --pwfile=/tmp/pw --auth-local=trust --auth-host=scram-sha-256 >/dev/null`,
      `echo 'host all all 0.0.0.0/0 scram-sha-256' >> /tmp/pg/pg_hba.conf`,
      `exec postgres -D /tmp/pg -k /tmp -c listen_addresses='*'`,
    ].join(' && ');
    containers.push(await start('postgres', POSTGRES_IMAGE, [], ['sh', '-c', init]));
    await waitFor('Postgres to accept connections', () => dockerOk(['exec', containers[1], 'pg_isready', '-h', '/tmp']), 120_000, 1_000);
    await docker(['exec', containers[1], 'createdb', '-h', '/tmp', '-U', String(postgres.POSTGRES_USER), String(postgres.POSTGRES_DB)]);
  });

  afterAll(async () => {
    for (const container of containers) await dockerOk(['rm', '-f', '-v', container]);
    await dockerOk(['volume', 'rm', dataVolume]);
    await dockerOk(['network', 'rm', network]);
    for (const app of apps) await dockerOk(['image', 'rm', imageOf(app.dir)]);
  });

  /** A detached container on the test's network, reachable by `alias` as the compose service of that name. */
  async function start(alias: string, image: string, options: string[], command: string[] = []): Promise<string> {
    return (await docker(['run', '-d', '--network', network, '--network-alias', alias, ...options, image, ...command])).trim();
  }

  /** The compose service's environment as `-e` options, minus ClickHouse (see above). */
  function environmentOf(service: ComposeService): string[] {
    return Object.entries(service.environment ?? {})
      .filter(([name]) => !name.startsWith('CLICKHOUSE_'))
      .flatMap(([name, value]) => ['-e', `${name}=${composeDefault(String(value))}`]);
  }

  const serviceFor = (project: string): ComposeService => {
    const found = Object.values(compose).find((s) => s.build?.args?.APP === project);
    if (!found) throw new Error(`docker-compose.yml builds no service with APP=${project}`);
    return found;
  };

  it('holds production dependencies only, the console, and no tests, benchmarks or manifests', async () => {
    const image = imageOf(serviceApps[0].dir);
    const lock = JSON.parse(readFileSync(path.join(context, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([where, p]) => where.startsWith('node_modules/') && p.dev === true && !where.slice(13).includes('node_modules/'));
    expect(devOnly.length).toBeGreaterThan(50);
    const listing = await docker(['run', '--rm', '--entrypoint', 'sh', image, '-c', 'ls -d node_modules/* node_modules/@*/* ; find . -path ./node_modules -prune -o -type f -print']);
    const present = new Set(listing.split('\n').map((line) => line.replace(/^\.\//, '')));
    expect(devOnly.map(([where]) => where).filter((where) => present.has(where))).toEqual([]);
    expect(present.has('node_modules/@nestjs/core')).toBe(true);
    expect(present.has('dist/apps/console/index.html')).toBe(true);
    expect([...present].filter((f) => /\.spec\.tsx?$|^bench\/|^k8s\/|^tools\/|^\.data\/.+|^\.git\//.test(f))).toEqual([]);
  });

  it('migrates as the compose `migrate` service does, from the image entrypoint', async () => {
    const migrate = Object.values(compose).find((s) => s.command?.[0] === 'migrate');
    const cli = apps.find((a) => a.project === migrate?.build?.args?.APP);
    if (!migrate || !cli) throw new Error('docker-compose.yml has no migrate service built from an app');
    await docker(['run', '--rm', '--network', network, '-v', `${dataVolume}:/app/.data`, ...environmentOf(migrate), imageOf(cli.dir), ...(migrate.command ?? [])]);
  });

  it.each(serviceApps.map((a) => [a.project, a.dir]))(
    '%s runs as a non-root user with its compose environment, turns healthy by its HEALTHCHECK, is ready on /readyz and exits 0 on SIGTERM',
    async (project, dir) => {
      const container = await start(dir, imageOf(dir), ['-v', `${dataVolume}:/app/.data`, ...environmentOf(serviceFor(project))]);
      containers.push(container);
      const logs = async () => `\n--- ${project} output ---\n${await docker(['logs', container]).catch((e: Error) => e.message)}`;
      try {
        await waitFor(
          `${project} to be healthy`,
          async () => {
            const state = JSON.parse(await docker(['inspect', '--format', '{{json .State}}', container])) as { Running: boolean; ExitCode: number; Health?: { Status: string } };
            if (!state.Running) throw new Error(`${project} exited with ${state.ExitCode} before it was healthy`);
            return state.Health?.Status === 'healthy';
          },
          180_000,
          2_000,
        );
        const ready = 'fetch("http://127.0.0.1:" + process.env.PORT + "/readyz").then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))';
        await waitFor(`${project} to be ready`, () => dockerOk(['exec', container, 'node', '-e', ready]), 60_000, 1_000);
        expect((await docker(['exec', container, 'id', '-un'])).trim()).toBe('node');
      } catch (error) {
        throw new Error(`${(error as Error).message}${await logs()}`);
      }
      // `docker stop` sends SIGTERM and waits; a service that drained and closed exits 0 well before the kill.
      await docker(['stop', '--time', '30', container]);
      const exit = (await docker(['inspect', '--format', '{{.State.ExitCode}}', container])).trim();
      if (exit !== '0') throw new Error(`${project} exited with ${exit} on SIGTERM${await logs()}`);
    },
  );
});

/** `${VAR:-default}` as Compose resolves it with VAR unset. */
function composeDefault(value: string): string {
  return value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
}
