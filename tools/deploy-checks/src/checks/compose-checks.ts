import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parseDocument } from 'yaml';
import { isObject, type JsonObject } from '../resource';
import { routeProblem } from './platform-checks';
import { isReadVariable, type SourceFacts } from './source-facts';

/** The Compose Specification's JSON schema (vendored: see schema/README.md). */
const COMPOSE_SCHEMA = path.join(__dirname, '../../schema/compose-spec.json');

interface ComposeService {
  build?: { context?: string; args?: Record<string, string> };
  image?: string;
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: JsonObject;
  restart?: string;
  volumes?: string[];
  profiles?: string[];
}

/**
 * docker-compose.yml against the code: it parses (with the `<<` merges it uses), is valid against the
 * Compose Specification's JSON schema, builds every service app by its Nx project name, starts them after a completed migration and healthy
 * servers in an order without cycles, and gives each the variables its modules need.
 */
export function checkCompose(file: string, facts: SourceFacts, root: string): string[] {
  const problems: string[] = [];
  const document = parseDocument(readFileSync(file, 'utf8'), { merge: true });
  if (document.errors.length > 0) return document.errors.map((e) => `${file}: ${e.message}`);
  const compose = document.toJS() as JsonObject;
  problems.push(...composeSchemaProblems(compose).map((problem) => `${file}: ${problem}`));
  const services = (isObject(compose.services) ? compose.services : {}) as Record<string, ComposeService>;
  const volumes = new Set(Object.keys(isObject(compose.volumes) ? compose.volumes : {}));
  const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const imageHasHealthcheck = /^HEALTHCHECK /m.test(dockerfile);

  for (const [name, service] of Object.entries(services)) {
    const what = `compose service ${name}`;
    const app = service.build?.args?.APP;
    if (service.build) {
      if (!app || !facts.apps.some((a) => a.project === app)) problems.push(`${what}: build arg APP=${app ?? '(none)'} names no app with a main.ts in apps/`);
      if (!existsSync(path.resolve(root, service.build.context ?? '.', 'Dockerfile'))) problems.push(`${what}: no Dockerfile in its build context`);
    }
    for (const [dependency, { condition = 'service_started' } = {}] of Object.entries(service.depends_on ?? {})) {
      const target = services[dependency];
      if (!target) problems.push(`${what}: depends on unknown service ${dependency}`);
      else if (condition === 'service_healthy' && !target.healthcheck && !(target.build && imageHasHealthcheck)) problems.push(`${what}: waits for ${dependency} to be healthy, which has no healthcheck`);
      else if (condition === 'service_completed_successfully' && target.restart !== 'no') problems.push(`${what}: waits for ${dependency} to complete, which must not restart`);
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0];
      if (!source.startsWith('.') && !source.startsWith('/') && !volumes.has(source)) problems.push(`${what}: volume ${source} is not declared`);
    }
    for (const variable of Object.keys(service.environment ?? {})) {
      if (app && !isReadVariable(facts, variable)) problems.push(`${what}: sets ${variable}, which no code reads`);
    }
  }
  problems.push(...checkGatewayRoutes(services, facts, root));
  const cycle = findCycle(services);
  if (cycle) problems.push(`${file}: depends_on cycle ${cycle.join(' → ')}`);

  // Every deployable service runs, after the migration completed and with what its modules connect to.
  const migrate = Object.entries(services).find(([, s]) => s.build?.args?.APP === 'cli-app' && s.command?.[0] === 'migrate')?.[0];
  if (!migrate) problems.push(`${file}: no service runs the migrations (APP=cli-app, command: migrate)`);
  for (const app of facts.apps.filter((a) => a.service)) {
    const entry = Object.entries(services).find(([, s]) => s.build?.args?.APP === app.project);
    if (!entry) {
      problems.push(`${file}: no service builds ${app.project}`);
      continue;
    }
    const [name, service] = entry;
    if (migrate && !dependsOn(services, name, migrate, 'service_completed_successfully')) problems.push(`compose service ${name}: must start after ${migrate} completed (services run with MIGRATE_ON_START=false)`);
    const env = service.environment ?? {};
    const required = [
      ...(app.needs.postgres ? ['DATABASE_URL'] : []),
      ...(app.needs.nats ? ['NATS_URL'] : []),
      ...(app.needs.clickhouse ? ['CLICKHOUSE_URL'] : []),
      ...(app.needs.auth ? ['AUTH_JWT_SECRET'] : []),
    ];
    for (const variable of required) if (env[variable] === undefined) problems.push(`compose service ${name}: ${app.project} needs ${variable}`);
    if (env.MIGRATE_ON_START !== 'false' && migrate) problems.push(`compose service ${name}: set MIGRATE_ON_START=false, the ${migrate} service migrates`);
  }
  return problems;
}

/**
 * Where the file breaks the Compose Specification's schema, one line per violation: the path in the file
 * and the rule (an unknown key names itself). Compose merges `<<` before it validates, and so does the caller.
 */
export function composeSchemaProblems(compose: unknown): string[] {
  // ajv 6 (draft-07, the schema's draft); the schema's own $schema URL is https, which ajv 6 does not know.
  const validate = new Ajv({ allErrors: true, jsonPointers: true, validateSchema: false, unknownFormats: 'ignore' }).compile(
    JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')) as object,
  );
  if (validate(compose)) return [];
  return (validate.errors ?? []).map((error) => {
    const where = error.dataPath || '/';
    const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
    if (params.additionalProperty) return `${where}: unknown key ${params.additionalProperty}`;
    return `${where}: ${error.message ?? error.keyword}${params.allowedValues ? ` (${params.allowedValues.join(', ')})` : ''}`;
  });
}

/**
 * A Caddyfile mounted into a service routes like the Kubernetes Ingress: each `reverse_proxy <service>:…`
 * under `handle <path>` (or a named matcher's `path`) must reach an app that serves a route there.
 */
function checkGatewayRoutes(services: Record<string, ComposeService>, facts: SourceFacts, root: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    for (const volume of service.volumes ?? []) {
      const [source, target] = volume.split(':');
      if (!target?.endsWith('/Caddyfile')) continue;
      const file = path.resolve(root, source);
      if (!existsSync(file)) {
        problems.push(`compose service ${name}: ${source} does not exist`);
        continue;
      }
      const lines = readFileSync(file, 'utf8').split('\n').map((line) => line.trim());
      const matcherPaths = new Map<string, string>();
      let matcher: string | undefined;
      let handled = '/';
      for (const line of lines) {
        const opened = /^(@\w+) \{$/.exec(line);
        if (opened) matcher = opened[1];
        else if (matcher && line.startsWith('path ')) matcherPaths.set(matcher, line.slice(5).trim());
        else if (line === '}') matcher = undefined;
        const handle = /^handle(?: (\S+))? \{$/.exec(line);
        if (handle) handled = handle[1]?.startsWith('@') ? (matcherPaths.get(handle[1]) ?? '/') : (handle[1] ?? '/');
        const proxy = /^reverse_proxy ([\w-]+):\d+$/.exec(line);
        if (!proxy) continue;
        const app = facts.apps.find((a) => a.project === services[proxy[1]]?.build?.args?.APP);
        const problem = app ? routeProblem(app, handled, facts) : `${proxy[1]} is not a service built from an app`;
        if (problem) problems.push(`${source}: ${handled} → ${problem}`);
      }
    }
  }
  return problems;
}

function dependsOn(services: Record<string, ComposeService>, from: string, to: string, condition: string, seen = new Set<string>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  return Object.entries(services[from]?.depends_on ?? {}).some(([next, c]) => (next === to && (c?.condition ?? 'service_started') === condition) || dependsOn(services, next, to, condition, seen));
}

function findCycle(services: Record<string, ComposeService>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...trail.slice(trail.indexOf(name)), name];
    state.set(name, 'visiting');
    for (const next of Object.keys(services[name]?.depends_on ?? {})) {
      const cycle = visit(next, [...trail, name]);
      if (cycle) return cycle;
    }
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(services)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}
