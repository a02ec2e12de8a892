import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * What the deployment must agree with, read from the code itself rather than restated: the apps and what
 * their modules connect to, the durable consumers and their streams, and every environment variable read.
 * The sources are parsed by the TypeScript compiler (syntax only, no type-check), so a fact is found by
 * the shape of the code, whatever its formatting: a string literal argument, a property, a decorator.
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
  /**
   * The @audit libs it runs: those its main.ts and root modules import, and the libs of every Nest module
   * reachable through `@Module({ imports })` from its root modules (a service module imports the bus,
   * Postgres, ClickHouse and auth modules it uses; the app lists only the services).
   */
  libs: Set<string>;
  needs: { nats: boolean; postgres: boolean; clickhouse: boolean; auth: boolean };
}

/**
 * Whether a deployment may set the variable: the code reads it, or node itself does (`NODE_OPTIONS`: the
 * streams run with a larger young generation, see k8s/base/streams.yaml).
 */
export const isReadVariable = (facts: Pick<SourceFacts, 'envVars'>, name: string): boolean => facts.envVars.has(name) || name === 'NODE_OPTIONS';

export function readSourceFacts(root: string): SourceFacts {
  const sources = [...tsFiles(path.join(root, 'libs')), ...tsFiles(path.join(root, 'apps'))].map((file) => parse(file, root));
  const libSources = sources.filter((source) => source.lib !== undefined);
  return { apps: readApps(root, readModules(sources)), durables: readDurables(libSources), envVars: readEnvVars(sources), routes: readRoutes(libSources) };
}

/** A Nest module class: where it is declared and the names in its `@Module({ imports: [...] })`. */
interface ModuleFacts {
  lib?: string;
  file: string;
  imports: string[];
}

/** Every `@Module(...)` class by name; an import `X.forRoot(...)` counts as `X`. */
function readModules(sources: Source[]): Map<string, ModuleFacts> {
  const modules = new Map<string, ModuleFacts>();
  for (const { file, lib } of sources) {
    for (const node of nodes(file)) {
      if (!ts.isClassDeclaration(node) || !node.name) continue;
      const decorator = (ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined)?.find(
        (d) => ts.isCallExpression(d.expression) && calledName(d.expression) === 'Module',
      );
      if (!decorator) continue;
      const [options] = (decorator.expression as ts.CallExpression).arguments;
      const imports: string[] = [];
      for (const property of options && ts.isObjectLiteralExpression(options) ? options.properties : []) {
        if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name) || property.name.text !== 'imports') continue;
        if (!ts.isArrayLiteralExpression(property.initializer)) continue;
        for (const element of property.initializer.elements) {
          const target = ts.isCallExpression(element) && ts.isPropertyAccessExpression(element.expression) ? element.expression.expression : element;
          if (ts.isIdentifier(target)) imports.push(target.text);
        }
      }
      modules.set(node.name.text, { lib, file: file.fileName, imports });
    }
  }
  return modules;
}

interface Source {
  file: ts.SourceFile;
  /** The lib under libs/ the file belongs to, if it does. */
  lib?: string;
}

function parse(file: string, root: string): Source {
  const relative = path.relative(path.join(root, 'libs'), file);
  const lib = relative.startsWith('..') ? undefined : relative.split(path.sep)[0];
  return { file: ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true), lib };
}

/** Every node under `node`, depth first. */
function* nodes(node: ts.Node): Generator<ts.Node> {
  yield node;
  for (const child of node.getChildren()) yield* nodes(child);
}

/** The text of a string literal (or a template without substitutions), else undefined. */
function literal(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** `name(…)` or `x.name(…)`: the called name. */
function calledName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** The decorator calls on a class or method, as name → first argument (a literal, or '' without one). */
function decorators(node: ts.Node): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const decorator of (ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined) ?? []) {
    if (!ts.isCallExpression(decorator.expression)) continue;
    const name = calledName(decorator.expression);
    const [argument] = decorator.expression.arguments;
    if (name) found.set(name, argument === undefined ? '' : literal(argument));
  }
  return found;
}

/** Lib → the routes of its controllers: the `@Controller` prefix joined with each handler's `@Get('…')` etc. */
function readRoutes(sources: Source[]): Map<string, string[]> {
  const routes = new Map<string, string[]>();
  for (const { file, lib } of sources) {
    for (const node of nodes(file)) {
      if (!ts.isClassDeclaration(node) || !lib) continue;
      const prefix = decorators(node).get('Controller');
      if (prefix === undefined) continue;
      for (const member of node.members) {
        for (const [name, route] of decorators(member)) {
          if (!HTTP_METHODS.has(name) || route === undefined) continue;
          routes.set(lib, [...(routes.get(lib) ?? []), [prefix, route].filter((part) => part !== '').join('/')]);
        }
      }
    }
  }
  return routes;
}

const HTTP_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'All']);

function readApps(root: string, nestModules: Map<string, ModuleFacts>): AppFacts[] {
  const apps: AppFacts[] = [];
  for (const dir of readdirSync(path.join(root, 'apps')).sort()) {
    const projectFile = path.join(root, 'apps', dir, 'project.json');
    const main = path.join(root, 'apps', dir, 'src', 'main.ts');
    if (!existsSync(projectFile) || !existsSync(main)) continue;
    const project = JSON.parse(readFileSync(projectFile, 'utf8')) as { name: string; projectType?: string };
    if (project.projectType !== 'application') continue;
    const modules = readdirSync(path.join(root, 'apps', dir, 'src')).filter((f) => f.endsWith('.module.ts'));
    const libs = new Set<string>();
    for (const file of [main, ...modules.map((f) => path.join(root, 'apps', dir, 'src', f))]) {
      for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, false).importedFiles) {
        if (imported.fileName.startsWith('@audit/')) libs.add(imported.fileName.slice('@audit/'.length));
      }
    }
    // The libs of the modules its root modules import, and of theirs.
    const srcDir = path.join(root, 'apps', dir, 'src') + path.sep;
    const pending = [...nestModules].filter(([, m]) => m.lib === undefined && m.file.startsWith(srcDir)).flatMap(([, m]) => m.imports);
    const seen = new Set<string>();
    for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
      const found = nestModules.get(name);
      if (seen.has(name) || !found) continue;
      seen.add(name);
      if (found.lib) libs.add(found.lib);
      pending.push(...found.imports);
    }
    const calls = new Set([...nodes(parse(main, root).file)].filter(ts.isCallExpression).map(calledName));
    apps.push({
      project: project.name,
      dir,
      // A service is a process that listens and runs on its own; standalone starts embedded servers instead.
      service: calls.has('runHttpService') && !calls.has('ensureEmbeddedDefaults'),
      libs,
      needs: { nats: libs.has('messaging'), postgres: libs.has('persistence'), clickhouse: libs.has('clickhouse'), auth: libs.has('auth') },
    });
  }
  return apps;
}

/**
 * `durable: '<name>'` properties in lib classes, with the stream each one consumes: the `stream: STREAMS.<key>`
 * its class passes, or the one a base class passes (CanonicalEventsConsumer → AUDIT_EVENTS), following `extends`.
 */
function readDurables(sources: Source[]): Map<string, { stream: string; lib: string }> {
  const streams = new Map<string, string>();
  const classes = new Map<string, { parent?: string; streamKey?: string }>();
  const sites: Array<{ name: string; className: string; lib: string }> = [];
  const property = (node: ts.Node, name: string): ts.Expression | undefined =>
    ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) && node.name.text === name ? node.initializer : undefined;
  for (const { file, lib } of sources) {
    for (const node of nodes(file)) {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'STREAMS' && node.initializer) {
        const object = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
        if (!ts.isObjectLiteralExpression(object)) continue;
        for (const entry of object.properties) {
          const value = ts.isPropertyAssignment(entry) ? literal(entry.initializer) : undefined;
          if (value && entry.name && ts.isIdentifier(entry.name)) streams.set(entry.name.text, value);
        }
      }
      if (!ts.isClassDeclaration(node) || !node.name || !lib) continue;
      const parent = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      const info: { parent?: string; streamKey?: string } = { parent: parent && ts.isIdentifier(parent) ? parent.text : undefined };
      for (const inner of nodes(node)) {
        const stream = property(inner, 'stream');
        if (stream && ts.isPropertyAccessExpression(stream) && ts.isIdentifier(stream.expression) && stream.expression.text === 'STREAMS') info.streamKey ??= stream.name.text;
        const durable = literal(property(inner, 'durable'));
        if (durable) sites.push({ name: durable, className: node.name.text, lib });
      }
      classes.set(node.name.text, info);
    }
  }
  const streamOf = (className: string | undefined, depth = 0): string | undefined => {
    const found = className === undefined ? undefined : classes.get(className);
    if (!found || depth > 10) return undefined;
    return found.streamKey ? streams.get(found.streamKey) : streamOf(found.parent, depth + 1);
  };
  const durables = new Map<string, { stream: string; lib: string }>();
  for (const site of sites) {
    const stream = streamOf(site.className);
    if (stream) durables.set(site.name, { stream, lib: site.lib });
  }
  return durables;
}

/**
 * Every variable read: `process.env.NAME`, `process.env['NAME']`, the config readers' `env.int('NAME')`
 * (any method of an `env` object) and `source.NAME` (the environment passed into a config function).
 */
function readEnvVars(sources: Source[]): Set<string> {
  const names = new Set<string>();
  const isVariable = (name: string | undefined): name is string => name !== undefined && /^[A-Z][A-Z0-9_]*$/.test(name);
  const isProcessEnv = (node: ts.Expression) => ts.isPropertyAccessExpression(node) && node.name.text === 'env' && ts.isIdentifier(node.expression) && node.expression.text === 'process';
  for (const { file } of sources) {
    for (const node of nodes(file)) {
      let name: string | undefined;
      if (ts.isPropertyAccessExpression(node) && (isProcessEnv(node.expression) || (ts.isIdentifier(node.expression) && node.expression.text === 'source'))) name = node.name.text;
      else if (ts.isElementAccessExpression(node) && isProcessEnv(node.expression)) name = literal(node.argumentExpression);
      else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'env') {
        name = literal(node.arguments[0]);
      }
      if (isVariable(name)) names.add(name);
    }
  }
  return names;
}

function tsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(full).isDirectory()) files.push(...tsFiles(full));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts') && !entry.endsWith('.spec.ts') && !entry.endsWith('.e2e-helpers.ts')) files.push(full);
  }
  return files;
}
