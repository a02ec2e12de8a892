import { isObject, type Resource } from '../resource';
import { environment, find, ofKind, podTemplate, selects, type Container, type LabelSelector } from './kube';
import { isReadVariable, type AppFacts, type SourceFacts } from './source-facts';

/** The port every service listens on (`PORT`, default 3000 in libs/platform/src/bootstrap.ts). */
const HTTP_PORT = 3000;

/** Egress beyond NATS, Postgres, ClickHouse and DNS, by service, and why. */
const EXTERNAL_EGRESS: Readonly<Record<string, number[]>> = {
  // Datadog and webhook sinks, S3 export storage.
  exporter: [443],
  // Stream destinations: HTTPS, syslog over TCP and TLS, Splunk HEC.
  streams: [443, 514, 6514, 8088],
  // Alert webhooks (the query service evaluates alerts).
  query: [443],
};

/**
 * What switches a sink's durable consumer on (libs/sinks/src/config.ts): a disabled sink creates no
 * consumer, and KEDA reads a consumer that does not exist as the whole stream's lag.
 */
const SINK_SWITCHES: Readonly<Record<string, { variable: string; value?: string }>> = {
  'sink-stdout': { variable: 'LOG_AUDIT_EVENTS', value: 'true' },
  'sink-datadog': { variable: 'DD_API_KEY' },
  'sink-webhook': { variable: 'WEBHOOK_URL' },
};

/** The nats-jetstream scaler's parameters (https://keda.sh/docs/scalers/nats-jetstream/). */
const JETSTREAM_TRIGGER_KEYS = new Set(['natsServerMonitoringEndpoint', 'account', 'stream', 'consumer', 'lagThreshold', 'activationLagThreshold', 'useHttps']);

/** The migrate Job opens Postgres and ClickHouse (libs/cli: `migrate` uses the analytics CLI context), not NATS. */
const MIGRATE_NEEDS = { nats: false, postgres: true, clickhouse: true, auth: true };

const SECRET_LIKE = /PASSWORD|SECRET|API_KEY|TOKEN|ACCESS_KEY|DATABASE_URL/;

/**
 * Checks a rendered overlay against the code: every service has its Deployment with resources, probes on
 * /healthz and /readyz, a graceful stop, its secrets by reference, a PodDisruptionBudget, an autoscaler
 * or a fixed count, and NetworkPolicies that allow exactly what its modules connect to; KEDA triggers
 * name consumers the code creates; the Ingress routes paths to services whose controllers serve them.
 * Returns one line per problem.
 */
export function checkPlatform(resources: readonly Resource[], facts: SourceFacts, namespace?: string): string[] {
  const problems: string[] = [];
  const report = (what: string, problem: string): void => void problems.push(`${what}: ${problem}`);

  if (ofKind(resources, 'Secret').length > 0) report('Secret', 'secrets are referenced, never part of the manifests');
  for (const configMap of ofKind(resources, 'ConfigMap')) {
    for (const name of Object.keys(isObject(configMap.data) ? configMap.data : {})) {
      if (SECRET_LIKE.test(name)) report(`ConfigMap ${configMap.metadata.name}`, `${name} looks secret: take it from a Secret`);
    }
  }
  if (namespace) {
    for (const resource of resources) if (resource.metadata.namespace !== namespace) report(`${resource.kind} ${resource.metadata.name}`, `namespace is ${resource.metadata.namespace ?? 'unset'}, not ${namespace}`);
  }

  const routed = ingressBackends(resources, facts, report);
  for (const app of facts.apps.filter((a) => a.service)) {
    checkService(app, resources, facts, routed.has(app.dir), report);
  }
  checkMigrateJob(resources, facts, report);
  checkScaledObjects(resources, facts, namespace, report);
  checkEgressDestinations(resources, report);
  return problems;
}

function checkService(app: AppFacts, resources: readonly Resource[], facts: SourceFacts, routed: boolean, report: (what: string, problem: string) => void): void {
  const what = `Deployment ${app.dir} (${app.project})`;
  const deployment = find(resources, 'Deployment', app.dir);
  const template = deployment && podTemplate(deployment);
  if (!deployment || !template) return report(what, 'missing: every service in apps/ runs as a Deployment named after its directory');
  const container = template.spec.containers.find((c) => c.name === app.dir);
  if (!container || template.spec.containers.length !== 1) return report(what, `needs exactly one container, named ${app.dir}`);
  const labels = template.metadata?.labels ?? {};

  if (imageName(container.image) !== app.dir) report(what, `image ${container.image ?? '(none)'} is not the ${app.dir} image (built with APP=${app.project})`);
  for (const [kind, field] of [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'cpu'], ['limits', 'memory']] as const) {
    if (container.resources?.[kind]?.[field] === undefined) report(what, `resources.${kind}.${field} is missing`);
  }
  checkProbes(what, container, report);
  checkEnvironment(what, container, resources, facts, app.needs, report);

  const grace = template.spec.terminationGracePeriodSeconds ?? 30;
  const preStop = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  if (grace < 30 || grace < preStop + 20) report(what, `terminationGracePeriodSeconds ${grace} leaves no time to drain in-flight batches after a ${preStop}s preStop`);
  if (routed && preStop === 0) report(what, 'serves HTTP through the Ingress but stops without a preStop pause: requests routed during endpoint removal would fail');
  if (template.spec.securityContext?.runAsNonRoot !== true) report(what, 'pods must run as non-root (securityContext.runAsNonRoot)');
  if (container.securityContext?.allowPrivilegeEscalation !== false) report(what, 'allowPrivilegeEscalation must be false');

  const autoscalers = [
    ...ofKind(resources, 'HorizontalPodAutoscaler').filter((h) => isObject(h.spec) && isObject(h.spec.scaleTargetRef) && h.spec.scaleTargetRef.name === app.dir),
    ...ofKind(resources, 'ScaledObject').filter((s) => isObject(s.spec) && isObject(s.spec.scaleTargetRef) && s.spec.scaleTargetRef.name === app.dir),
  ];
  const replicas = isObject(deployment.spec) ? deployment.spec.replicas : undefined;
  if (autoscalers.length > 1) report(what, 'is the target of more than one autoscaler');
  if (autoscalers.length === 1 && replicas !== undefined) report(what, `sets replicas although ${autoscalers[0].kind} ${autoscalers[0].metadata.name} owns the count (each apply would reset it)`);
  if (autoscalers.length === 0 && !(typeof replicas === 'number' && replicas >= 1)) report(what, 'has neither an autoscaler nor replicas');
  const consumesEvents = [...facts.durables].some(([, d]) => d.stream === 'AUDIT_EVENTS' && app.libs.has(d.lib));
  if (consumesEvents && !autoscalers.some((a) => a.kind === 'ScaledObject')) report(what, 'consumes AUDIT_EVENTS but has no KEDA ScaledObject on its consumer pending count');
  if (app.dir === 'ingest' && !autoscalers.some((a) => a.kind === 'HorizontalPodAutoscaler' && JSON.stringify(a.spec).includes('"name":"cpu"'))) {
    report(what, 'needs a HorizontalPodAutoscaler on CPU');
  }

  const pdbs = ofKind(resources, 'PodDisruptionBudget').filter((p) => isObject(p.spec) && selects(p.spec.selector as LabelSelector, labels));
  if (pdbs.length !== 1) report(what, `needs exactly one PodDisruptionBudget selecting its pods (found ${pdbs.length})`);
  else if (!isObject(pdbs[0].spec) || pdbs[0].spec.maxUnavailable === undefined) report(what, 'its PodDisruptionBudget should set maxUnavailable (minAvailable blocks node drains at one replica)');

  checkNetworkPolicies(what, labels, app.needs, EXTERNAL_EGRESS[app.dir] ?? [], routed, resources, report);
}

function checkProbes(what: string, container: Container, report: (what: string, problem: string) => void): void {
  const ports = new Map((container.ports ?? []).map((p) => [p.name ?? String(p.containerPort), p.containerPort]));
  if (![...ports.values()].includes(HTTP_PORT)) report(what, `declares no containerPort ${HTTP_PORT} (PORT)`);
  const expected = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' } as const;
  for (const [probe, path] of Object.entries(expected) as Array<[keyof typeof expected, string]>) {
    const httpGet = container[probe]?.httpGet;
    const port = typeof httpGet?.port === 'number' ? httpGet.port : ports.get(String(httpGet?.port));
    if (httpGet?.path !== path || port !== HTTP_PORT) report(what, `${probe} must GET ${path} on port ${HTTP_PORT}`);
  }
}

function checkEnvironment(
  what: string,
  container: Container,
  resources: readonly Resource[],
  facts: SourceFacts,
  needs: AppFacts['needs'],
  report: (what: string, problem: string) => void,
): void {
  const env = environment(container, resources);
  for (const [name, source] of env) {
    if (!isReadVariable(facts, name)) report(what, `sets ${name}, which no code reads`);
    if (SECRET_LIKE.test(name) && source.secret === undefined) report(what, `${name} has a literal value: take it from a Secret`);
  }
  const secret = (name: string): boolean => env.get(name)?.secret !== undefined;
  if (needs.postgres && !secret('DATABASE_URL')) report(what, 'connects to Postgres but DATABASE_URL is not from a Secret');
  if (needs.nats && !env.get('NATS_URL')?.value) report(what, 'connects to NATS but NATS_URL is not set');
  if (needs.clickhouse && !env.get('CLICKHOUSE_URL')?.value) report(what, 'needs a ClickHouse server but CLICKHOUSE_URL is not set (embedded chDB is not in the image)');
  if (needs.clickhouse && !secret('CLICKHOUSE_PASSWORD')) report(what, 'connects to ClickHouse but CLICKHOUSE_PASSWORD is not from a Secret');
  if (needs.auth && !secret('AUTH_JWT_SECRET') && !env.get('AUTH_JWKS_URL')?.value) report(what, 'verifies admin tokens but has neither AUTH_JWT_SECRET (Secret) nor AUTH_JWKS_URL');
}

/**
 * The pod must be under a deny-all policy, and the union of the policies selecting it must allow exactly
 * DNS plus what its modules connect to (and any declared external egress); ingress only for metrics, and
 * from the ingress controller only when the Ingress routes to it.
 */
function checkNetworkPolicies(
  what: string,
  labels: Record<string, string>,
  needs: AppFacts['needs'],
  external: number[],
  routed: boolean,
  resources: readonly Resource[],
  report: (what: string, problem: string) => void,
): void {
  const policies = ofKind(resources, 'NetworkPolicy').filter((p) => isObject(p.spec) && selects(p.spec.podSelector as LabelSelector, labels));
  const spec = (p: Resource) => p.spec as { policyTypes?: string[]; ingress?: Array<{ from?: unknown[]; ports?: Array<{ port?: number }> }>; egress?: Array<{ ports?: Array<{ port?: number }> }> };
  if (!policies.some((p) => ['Ingress', 'Egress'].every((t) => spec(p).policyTypes?.includes(t)) && !spec(p).ingress && !spec(p).egress)) {
    report(what, 'no default-deny NetworkPolicy (Ingress and Egress, no rules) selects its pods');
  }
  const egress = new Set(policies.flatMap((p) => (spec(p).policyTypes?.includes('Egress') ? (spec(p).egress ?? []) : [])).flatMap((rule) => (rule.ports ?? []).map((port) => Number(port.port))));
  const expected = new Set([53, ...(needs.nats ? [4222] : []), ...(needs.postgres ? [5432] : []), ...(needs.clickhouse ? [8123] : []), ...external]);
  for (const port of expected) if (!egress.has(port)) report(what, `NetworkPolicies do not allow egress to port ${port}, which it needs`);
  for (const port of egress) if (!expected.has(port)) report(what, `NetworkPolicies allow egress to port ${port}, which it does not need`);

  const ingress = policies.flatMap((p) => (spec(p).policyTypes?.includes('Ingress') ? (spec(p).ingress ?? []) : []));
  const fromNamespaces = ingress.flatMap((rule) => (rule.from ?? []).map((peer) => JSON.stringify(peer)));
  if (ingress.some((rule) => (rule.ports ?? []).some((p) => Number(p.port) !== HTTP_PORT))) report(what, `ingress is allowed to a port other than ${HTTP_PORT}`);
  if (!fromNamespaces.some((peer) => peer.includes('monitoring'))) report(what, 'Prometheus (namespace monitoring) may not scrape /metrics');
  const fromController = fromNamespaces.some((peer) => !peer.includes('monitoring'));
  if (routed && !fromController) report(what, 'the Ingress routes to it but no NetworkPolicy admits the ingress controller');
  if (!routed && fromController) report(what, 'admits traffic from outside monitoring although the Ingress does not route to it');
}

function checkMigrateJob(resources: readonly Resource[], facts: SourceFacts, report: (what: string, problem: string) => void): void {
  const jobs = ofKind(resources, 'Job').filter((job) => podTemplate(job)?.spec.containers.some((c) => c.args?.[0] === 'migrate'));
  if (jobs.length !== 1) return report('Job', `exactly one migration Job (args: migrate) is expected, found ${jobs.length}`);
  const template = podTemplate(jobs[0]);
  const container = template?.spec.containers[0];
  const cli = facts.apps.find((a) => a.project === 'cli-app');
  if (!template || !container || !cli) return report(`Job ${jobs[0].metadata.name}`, 'has no container, or apps/ has no cli-app');
  const what = `Job ${jobs[0].metadata.name}`;
  if (imageName(container.image) !== cli.dir) report(what, `must run the cli image (APP=cli-app), not ${container.image ?? '(none)'}`);
  if (!['Never', 'OnFailure'].includes(template.spec.restartPolicy ?? '')) report(what, 'restartPolicy must be Never or OnFailure');
  for (const [kind, field] of [['requests', 'cpu'], ['requests', 'memory'], ['limits', 'memory']] as const) {
    if (container.resources?.[kind]?.[field] === undefined) report(what, `resources.${kind}.${field} is missing`);
  }
  checkEnvironment(what, container, resources, facts, MIGRATE_NEEDS, report);
  checkNetworkPolicies(what, template.metadata?.labels ?? {}, MIGRATE_NEEDS, [], false, resources, report);
}

/** Every nats-jetstream trigger names a consumer the target's code creates, on its stream, switched on. */
function checkScaledObjects(resources: readonly Resource[], facts: SourceFacts, namespace: string | undefined, report: (what: string, problem: string) => void): void {
  const natsUrl = ofKind(resources, 'ConfigMap')
    .map((c) => (isObject(c.data) ? c.data.NATS_URL : undefined))
    .find((v): v is string => typeof v === 'string');
  for (const scaled of ofKind(resources, 'ScaledObject')) {
    const what = `ScaledObject ${scaled.metadata.name}`;
    const spec = scaled.spec as { scaleTargetRef?: { name?: string }; minReplicaCount?: number; maxReplicaCount?: number; triggers?: Array<{ type: string; metadata?: Record<string, string> }> };
    const app = facts.apps.find((a) => a.dir === spec.scaleTargetRef?.name);
    const deployment = find(resources, 'Deployment', spec.scaleTargetRef?.name ?? '');
    const container = deployment && podTemplate(deployment)?.spec.containers[0];
    if (!app || !container) {
      report(what, `targets ${spec.scaleTargetRef?.name ?? '(nothing)'}, which is not a service Deployment`);
      continue;
    }
    if (!((spec.minReplicaCount ?? 0) >= 1 && (spec.maxReplicaCount ?? 0) >= (spec.minReplicaCount ?? 0))) {
      report(what, 'minReplicaCount must be ≥ 1 (readiness and the pending gauge need a pod) and ≤ maxReplicaCount');
    }
    const env = environment(container, resources);
    for (const trigger of spec.triggers ?? []) {
      if (trigger.type !== 'nats-jetstream') continue;
      const metadata = trigger.metadata ?? {};
      for (const key of Object.keys(metadata)) if (!JETSTREAM_TRIGGER_KEYS.has(key)) report(what, `unknown nats-jetstream parameter ${key}`);
      const durable = facts.durables.get(metadata.consumer);
      if (!durable) {
        report(what, `consumer "${metadata.consumer}" is not a durable consumer the code creates (${[...facts.durables.keys()].join(', ')})`);
        continue;
      }
      if (metadata.stream !== durable.stream) report(what, `consumer ${metadata.consumer} reads ${durable.stream}, not ${metadata.stream}`);
      if (!app.libs.has(durable.lib)) report(what, `consumer ${metadata.consumer} is created by @audit/${durable.lib}, which ${app.project} does not run`);
      const sink = SINK_SWITCHES[metadata.consumer];
      const switched = sink && env.get(sink.variable);
      if (sink && !(switched && (sink.value === undefined ? switched.value !== undefined || switched.secret : switched.value === sink.value))) {
        report(what, `consumer ${metadata.consumer} exists only when ${sink.variable}${sink.value ? `=${sink.value}` : ''} is set on ${app.dir}; KEDA would read the whole stream as its lag`);
      }
      if (!/^[1-9]\d*$/.test(metadata.lagThreshold ?? '')) report(what, 'lagThreshold must be a positive integer');
      if (!metadata.account) report(what, 'account is required ($G without NATS accounts)');
      const problem = endpointMismatch(metadata.natsServerMonitoringEndpoint, natsUrl, namespace);
      if (problem) report(what, problem);
    }
  }
}

/** KEDA runs in its own namespace: the monitoring endpoint must be the NATS_URL server, by its full name. */
function endpointMismatch(endpoint: string | undefined, natsUrl: string | undefined, namespace: string | undefined): string | undefined {
  if (!endpoint || !natsUrl) return 'natsServerMonitoringEndpoint and NATS_URL must both be set';
  const [host] = endpoint.split(':');
  const natsHost = new URL(natsUrl).hostname;
  const [service, ns] = host.split('.');
  const [natsService, natsNs = namespace] = natsHost.split('.');
  if (!ns) return `natsServerMonitoringEndpoint ${endpoint} must be a full name (service.namespace.svc…): KEDA resolves it from its own namespace`;
  if (service !== natsService || ns !== natsNs) return `natsServerMonitoringEndpoint ${endpoint} is not the server of NATS_URL ${natsUrl}`;
  return undefined;
}

/** Services routed by the Ingress (by Deployment name), checking each backend on the way. */
function ingressBackends(resources: readonly Resource[], facts: SourceFacts, report: (what: string, problem: string) => void): Set<string> {
  const routed = new Set<string>();
  for (const ingress of ofKind(resources, 'Ingress')) {
    const rules = (ingress.spec as { rules?: Array<{ host?: string; http?: { paths: Array<{ path: string; backend: { service?: { name: string; port: { name?: string; number?: number } } } }> } }> }).rules ?? [];
    for (const rule of rules) {
      for (const { path, backend } of rule.http?.paths ?? []) {
        const what = `Ingress ${ingress.metadata.name} ${rule.host ?? '*'}${path}`;
        const service = backend.service && find(resources, 'Service', backend.service.name);
        if (!service || !backend.service) {
          report(what, `backend Service ${backend.service?.name ?? '(none)'} does not exist`);
          continue;
        }
        const serviceSpec = service.spec as { selector?: Record<string, string>; ports?: Array<{ name?: string; port: number; targetPort?: string | number }> };
        const port = serviceSpec.ports?.find((p) => (backend.service?.port.name ? p.name === backend.service.port.name : p.port === backend.service?.port.number));
        if (!port) report(what, `Service ${service.metadata.name} has no such port`);
        const deployment = ofKind(resources, 'Deployment').find((d) => selects({ matchLabels: serviceSpec.selector }, podTemplate(d)?.metadata?.labels));
        if (!deployment) {
          report(what, `Service ${service.metadata.name} selects no Deployment`);
          continue;
        }
        routed.add(deployment.metadata.name);
        const container = podTemplate(deployment)?.spec.containers[0];
        if (port && typeof port.targetPort === 'string' && !container?.ports?.some((p) => p.name === port.targetPort)) {
          report(what, `targetPort ${port.targetPort} is not a port of ${deployment.metadata.name}`);
        }
        const app = facts.apps.find((a) => a.dir === deployment.metadata.name);
        const problem = app ? routeProblem(app, path, facts) : `${deployment.metadata.name} is not an app in apps/`;
        if (problem) report(what, problem);
      }
    }
  }
  return routed;
}

/** Why `path` (a prefix; '/' for everything) leads to none of the app's routes, if it does not. */
export function routeProblem(app: AppFacts, path: string, facts: SourceFacts): string | undefined {
  const served = [...app.libs].flatMap((lib) => facts.routes.get(lib) ?? []);
  const wanted = path.replace(/\*$/, '').replace(/^\/|\/$/g, '');
  if (wanted === '' || served.some((route) => route === wanted || route.startsWith(`${wanted}/`))) return undefined;
  return `${app.dir} serves no route under ${path} (it serves ${served.join(', ') || 'none'})`;
}

/** A same-namespace egress destination must select pods this overlay renders, or an operator resource it declares. */
function checkEgressDestinations(resources: readonly Resource[], report: (what: string, problem: string) => void): void {
  const podLabels = resources.map((r) => podTemplate(r)?.metadata?.labels).filter((l): l is Record<string, string> => l !== undefined);
  const operatorLabels = [
    ...ofKind(resources, 'Cluster').map((c) => ({ 'cnpg.io/cluster': c.metadata.name })),
    ...ofKind(resources, 'ClickHouseInstallation').map((c) => ({ 'clickhouse.altinity.com/chi': c.metadata.name })),
  ];
  for (const policy of ofKind(resources, 'NetworkPolicy')) {
    const egress = (policy.spec as { egress?: Array<{ to?: Array<{ podSelector?: LabelSelector; namespaceSelector?: LabelSelector; ipBlock?: unknown }> }> }).egress ?? [];
    for (const peer of egress.flatMap((rule) => rule.to ?? [])) {
      if (!peer.podSelector || peer.namespaceSelector) continue;
      if (![...podLabels, ...operatorLabels].some((labels) => selects(peer.podSelector, labels))) {
        report(`NetworkPolicy ${policy.metadata.name}`, `egress to ${JSON.stringify(peer.podSelector)} selects no pod of this overlay`);
      }
    }
  }
}

/** The last path segment of an image reference without tag or digest: `registry/audit-trail/writer:1.0` → writer. */
export function imageName(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split('@')[0];
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  return last.split(':')[0];
}
