import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What the deployment must agree with, read from the code itself rather than restated: the apps and what
 * their modules connect to, the durable consumers and their streams, and every environment variable read.
 */
export interface SourceFacts {
  apps: AppFacts[];
  /** Durable consumer name → the stream it consumes and the lib that creates it. */
  durables: Map<string, { stream: string; lib: string }>;
  /** Every environment variable the code reads. */
  envVars: Set<string>;
  /** Lib → the routes its HTTP controllers serve (`v1/exports/:id/download`, `audit/*path`). */
  routes: Map<string, string[]>;
}

export interface AppFacts {
  /** Nx project name, the image build's APP (`writer-app`). */
  project: string;
  /** Directory under apps/ (`writer`), also the Deployment, the Compose service and the image's last segment. */
  dir: string;
  /** A long-running HTTP service deployed on its own (not the CLI, the console or standalone). */
  service: boolean;
  /** The @audit libs its root module imports. */
  libs: Set<string>;
  needs: { nats: boolean; postgres: boolean; clickhouse: boolean; auth: boolean };
}

export function readSourceFacts(root: string): SourceFacts {
  const sources = tsFiles(path.join(root, 'libs')).concat(tsFiles(path.join(root, 'apps')));
  return { apps: readApps(root), durables: readDurables(root, sources), envVars: readEnvVars(sources), routes: readRoutes(root, sources) };
}

/** Lib → the routes of its controllers: the `@Controller` prefix joined with each handler's `@Get('…')` etc. */
function readRoutes(root: string, sources: string[]): Map<string, string[]> {
  const routes = new Map<string, string[]>();
  for (const file of sources.filter((f) => f.includes(`${path.sep}libs${path.sep}`))) {
    const lib = path.relative(path.join(root, 'libs'), file).split(path.sep)[0];
    const text = readFileSync(file, 'utf8');
    const controllers = [...text.matchAll(/@Controller\((?:'([^']*)')?\)/g)];
    controllers.forEach((controller, i) => {
      const body = text.slice(controller.index, controllers[i + 1]?.index ?? text.length);
      const prefix = controller[1] ?? '';
      for (const handler of body.matchAll(/@(?:Get|Post|Put|Patch|Delete|All)\((?:'([^']*)')?\)/g)) {
        const route = [prefix, handler[1] ?? ''].filter((part) => part !== '').join('/');
        routes.set(lib, [...(routes.get(lib) ?? []), route]);
      }
    });
  }
  return routes;
}

function readApps(root: string): AppFacts[] {
  const apps: AppFacts[] = [];
  for (const dir of readdirSync(path.join(root, 'apps')).sort()) {
    const projectFile = path.join(root, 'apps', dir, 'project.json');
    const main = path.join(root, 'apps', dir, 'src', 'main.ts');
    if (!existsSync(projectFile) || !existsSync(main)) continue;
    const project = JSON.parse(readFileSync(projectFile, 'utf8')) as { name: string; projectType?: string };
    if (project.projectType !== 'application') continue;
    const mainText = readFileSync(main, 'utf8');
    const modules = readdirSync(path.join(root, 'apps', dir, 'src')).filter((f) => f.endsWith('.module.ts'));
    const libs = new Set<string>();
    for (const file of [main, ...modules.map((f) => path.join(root, 'apps', dir, 'src', f))]) {
      for (const match of readFileSync(file, 'utf8').matchAll(/from '@audit\/([a-z0-9-]+)'/g)) libs.add(match[1]);
    }
    apps.push({
      project: project.name,
      dir,
      // A service is a process that listens and runs on its own; standalone starts embedded servers instead.
      service: /\brunHttpService\(/.test(mainText) && !/\bensureEmbeddedDefaults\(/.test(mainText),
      libs,
      needs: { nats: libs.has('messaging'), postgres: libs.has('persistence'), clickhouse: libs.has('clickhouse'), auth: libs.has('auth') },
    });
  }
  return apps;
}

/**
 * `durable: '<name>'` literals in lib sources, with the stream each one consumes: the `stream: STREAMS.<key>`
 * its class passes, or the one a base class passes (CanonicalEventsConsumer → AUDIT_EVENTS), following `extends`.
 */
function readDurables(root: string, sources: string[]): Map<string, { stream: string; lib: string }> {
  const streamsText = readFileSync(path.join(root, 'libs/messaging/src/subjects.ts'), 'utf8');
  const streamsBlock = /export const STREAMS = \{([^}]*)\}/.exec(streamsText)?.[1] ?? '';
  const streams = new Map([...streamsBlock.matchAll(/(\w+):\s*'([A-Z_]+)'/g)].map((m) => [m[1], m[2]] as const));

  const classes = new Map<string, { parent?: string; body: string }>();
  const durableSites: Array<{ name: string; className: string; lib: string }> = [];
  for (const file of sources.filter((f) => f.includes(`${path.sep}libs${path.sep}`))) {
    const text = readFileSync(file, 'utf8');
    const declarations = [...text.matchAll(/class (\w+)(?:<[^>{]*>)?(?: extends (\w+))?/g)];
    declarations.forEach((declaration, i) => {
      const body = text.slice(declaration.index, declarations[i + 1]?.index ?? text.length);
      classes.set(declaration[1], { parent: declaration[2], body });
      for (const durable of body.matchAll(/durable:\s*'([^']+)'/g)) {
        durableSites.push({ name: durable[1], className: declaration[1], lib: path.relative(path.join(root, 'libs'), file).split(path.sep)[0] });
      }
    });
  }
  const streamOf = (className: string | undefined, depth = 0): string | undefined => {
    const found = className === undefined ? undefined : classes.get(className);
    if (!found || depth > 10) return undefined;
    const key = /stream:\s*STREAMS\.(\w+)/.exec(found.body)?.[1];
    return key ? streams.get(key) : streamOf(found.parent, depth + 1);
  };
  const durables = new Map<string, { stream: string; lib: string }>();
  for (const site of durableSites) {
    const stream = streamOf(site.className);
    if (stream) durables.set(site.name, { stream, lib: site.lib });
  }
  return durables;
}

function readEnvVars(sources: string[]): Set<string> {
  const names = new Set<string>();
  const patterns = [/\benv\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g, /process\.env\.([A-Z][A-Z0-9_]*)/g, /\bsource\.([A-Z][A-Z0-9_]*)/g, /process\.env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) names.add(match[1]);
  }
  return names;
}

function tsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(full).isDirectory()) files.push(...tsFiles(full));
    else if (entry.endsWith('.ts') && !/\.(spec|e2e-helpers)\.ts$/.test(entry) && !entry.endsWith('.d.ts')) files.push(full);
  }
  return files;
}
