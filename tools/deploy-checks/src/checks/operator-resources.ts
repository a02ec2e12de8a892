import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { describeResource, isObject, type JsonObject, type Resource } from '../resource';
import { environment, ofKind, podTemplate } from './kube';

/**
 * Structural checks of the operators' resources, which kubernetes-models has no schema for: the fields
 * used exist in the operator's API (unknown ones are refused), the sizes make sense for production, and
 * the names the services rely on (the CloudNativePG Secret, the ClickHouse Service, users and Keeper)
 * agree with the Deployments.
 */
export function checkOperatorResources(unmodelled: readonly Resource[], resources: readonly Resource[]): string[] {
  const problems: string[] = [];
  const known = new Set(['Cluster', 'ClickHouseInstallation', 'ClickHouseKeeperInstallation']);
  for (const resource of unmodelled) {
    const what = describeResource(resource);
    if (!known.has(resource.kind)) {
      problems.push(`${what}: no schema and no structural check for this kind`);
      continue;
    }
    const spec = isObject(resource.spec) ? resource.spec : {};
    const fields = SPEC_FIELDS[resource.kind];
    for (const field of Object.keys(spec)) if (!fields.has(field)) problems.push(`${what}: unknown field spec.${field}`);
    const top = Object.keys(resource).filter((f) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(f));
    if (top.length > 0) problems.push(`${what}: unknown top-level field(s) ${top.join(', ')}`);
  }
  const operated = (kind: string) => unmodelled.filter((r) => r.kind === kind);
  for (const cluster of operated('Cluster')) problems.push(...checkPostgresCluster(cluster, resources));
  const keepers = operated('ClickHouseKeeperInstallation');
  for (const keeper of keepers) problems.push(...checkKeeper(keeper));
  for (const chi of operated('ClickHouseInstallation')) problems.push(...checkClickHouse(chi, keepers, resources));
  return problems;
}

/** Fields of each operator's spec (CloudNativePG ClusterSpec; Altinity CHI and CHK specs). */
const SPEC_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  Cluster: new Set([
    'instances', 'imageName', 'imageCatalogRef', 'imagePullPolicy', 'imagePullSecrets', 'primaryUpdateStrategy', 'primaryUpdateMethod', 'bootstrap',
    'postgresql', 'storage', 'walStorage', 'tablespaces', 'resources', 'affinity', 'topologySpreadConstraints', 'monitoring', 'backup', 'plugins',
    'description', 'enableSuperuserAccess', 'superuserSecret', 'managed', 'replica', 'externalClusters', 'env', 'envFrom', 'certificates',
    'startDelay', 'stopDelay', 'smartShutdownTimeout', 'switchoverDelay', 'failoverDelay', 'maxSyncReplicas', 'minSyncReplicas', 'logLevel',
    'nodeMaintenanceWindow', 'priorityClassName', 'serviceAccountTemplate', 'projectedVolumeTemplate', 'inheritedMetadata', 'enablePDB',
    'ephemeralVolumeSource', 'ephemeralVolumesSizeLimit', 'livenessProbeTimeout', 'postgresUID', 'postgresGID', 'probes', 'seccompProfile',
    'podSecurityContext', 'securityContext',
  ]),
  ClickHouseInstallation: new Set(['configuration', 'defaults', 'templates', 'templating', 'reconciling', 'useTemplates', 'stop', 'restart', 'troubleshoot', 'namespaceDomainPattern', 'taskID', 'suspend']),
  ClickHouseKeeperInstallation: new Set(['configuration', 'defaults', 'templates', 'reconciling', 'namespaceDomainPattern', 'taskID', 'suspend']),
};

function checkPostgresCluster(cluster: Resource, resources: readonly Resource[]): string[] {
  const what = describeResource(cluster);
  const spec = cluster.spec as { instances?: unknown; storage?: { size?: unknown }; bootstrap?: { initdb?: { database?: unknown; owner?: unknown } } };
  const problems: string[] = [];
  if (typeof spec.instances !== 'number' || spec.instances < 3) problems.push(`${what}: instances must be ≥ 3 (a primary and two replicas)`);
  if (typeof spec.storage?.size !== 'string') problems.push(`${what}: storage.size is required`);
  if (typeof spec.bootstrap?.initdb?.database !== 'string' || typeof spec.bootstrap.initdb.owner !== 'string') problems.push(`${what}: bootstrap.initdb needs database and owner`);
  // CloudNativePG writes the application user's credentials, with a ready `uri`, to the Secret <cluster>-app.
  for (const [where, env] of workloadEnvironments(resources)) {
    const url = env.get('DATABASE_URL')?.secret;
    if (url && (url.name !== `${cluster.metadata.name}-app` || url.key !== 'uri')) problems.push(`${where}: DATABASE_URL must come from Secret ${cluster.metadata.name}-app, key uri (CloudNativePG), not ${url.name}/${url.key}`);
  }
  return problems;
}

function checkKeeper(keeper: Resource): string[] {
  const replicas = clusters(keeper).map((c) => c.layout?.replicasCount);
  return replicas.length === 1 && typeof replicas[0] === 'number' && replicas[0] >= 3 && replicas[0] % 2 === 1
    ? []
    : [`${describeResource(keeper)}: one cluster of an odd number (≥ 3) of Keeper replicas keeps a quorum through one loss`];
}

function checkClickHouse(chi: Resource, keepers: readonly Resource[], resources: readonly Resource[]): string[] {
  const what = describeResource(chi);
  const problems: string[] = [];
  const configuration = (isObject(chi.spec) && isObject(chi.spec.configuration) ? chi.spec.configuration : {}) as {
    zookeeper?: { nodes?: Array<{ host?: string; port?: number }> };
    users?: Record<string, unknown>;
  };
  const layouts = clusters(chi);
  if (layouts.length !== 1 || layouts.some((c) => typeof c.layout?.shardsCount !== 'number' || typeof c.layout?.replicasCount !== 'number')) {
    problems.push(`${what}: one cluster with layout.shardsCount and layout.replicasCount`);
  }
  const layout = layouts.length === 1 ? layouts[0] : undefined;
  const replicas = typeof layout?.layout?.replicasCount === 'number' ? layout.layout.replicasCount : 1;
  if (typeof layout?.layout?.shardsCount === 'number' && layout.layout.shardsCount > 1) {
    problems.push(`${what}: ${layout.layout.shardsCount} shards, but the projection's schema is replicated, not sharded (it would need Distributed tables): one shard`);
  }
  const keeperHosts = keepers.map((k) => `keeper-${k.metadata.name}`);
  const nodes = configuration.zookeeper?.nodes ?? [];
  if (nodes.length === 0 || nodes.some((n) => !keeperHosts.includes(n.host ?? '') || n.port !== 2181)) {
    problems.push(`${what}: zookeeper.nodes must name the Keeper installation's Service (${keeperHosts.join(', ') || 'none declared'}) on port 2181`);
  }
  for (const [where, env] of workloadEnvironments(resources)) {
    const url = env.get('CLICKHOUSE_URL')?.value;
    if (!url) continue;
    if (new URL(url).hostname !== `clickhouse-${chi.metadata.name}` || new URL(url).port !== '8123') problems.push(`${where}: CLICKHOUSE_URL ${url} is not the installation's Service clickhouse-${chi.metadata.name}:8123`);
    // Replicas share one table only through Replicated engines, which the services create when
    // CLICKHOUSE_CLUSTER names the installation's cluster (libs/clickhouse, schema-layout.ts).
    const cluster = env.get('CLICKHOUSE_CLUSTER')?.value;
    if (replicas >= 2 && !cluster) {
      problems.push(`${where}: ${what} has ${replicas} replicas but CLICKHOUSE_CLUSTER is not set: the tables would not replicate and each replica would answer differently`);
    }
    if (cluster && cluster !== layout?.name) problems.push(`${where}: CLICKHOUSE_CLUSTER ${cluster} is not the installation's cluster (${String(layout?.name)})`);
    const user = env.get('CLICKHOUSE_USER')?.value ?? 'default';
    // Only workloads that open ClickHouse carry its password (platform-checks requires it of those).
    const password = env.get('CLICKHOUSE_PASSWORD')?.secret;
    const declared = configuration.users?.[`${user}/k8s_secret_password`];
    if (password && declared !== `${password.name}/${password.key}`) {
      problems.push(`${where}: user ${user} must take its password from the Secret the services read (${password.name}/${password.key}), declared ${String(declared)}`);
    }
  }
  return problems;
}

function clusters(resource: Resource): Array<{ name?: string; layout?: { shardsCount?: unknown; replicasCount?: unknown } }> {
  const configuration = isObject(resource.spec) && isObject(resource.spec.configuration) ? resource.spec.configuration : {};
  return Array.isArray(configuration.clusters) ? (configuration.clusters as Array<{ layout?: { shardsCount?: unknown; replicasCount?: unknown } }>) : [];
}

function workloadEnvironments(resources: readonly Resource[]): Array<[string, ReturnType<typeof environment>]> {
  return resources.flatMap((r) => (podTemplate(r)?.spec.containers ?? []).map((c) => [`${r.kind} ${r.metadata.name}`, environment(c, resources)] as [string, ReturnType<typeof environment>]));
}

/**
 * The values file for the official NATS Helm chart: a JetStream cluster of an odd number of nodes with
 * file storage on volumes and monitoring on the port KEDA reads; STREAM_REPLICAS fits in the cluster.
 */
export function checkNatsValues(file: string, resources: readonly Resource[]): string[] {
  const values = parseYaml(readFileSync(file, 'utf8')) as JsonObject;
  const problems: string[] = [];
  const top = new Set(['global', 'config', 'container', 'reloader', 'promExporter', 'service', 'statefulSet', 'podTemplate', 'headlessService', 'configMap', 'natsBox', 'serviceAccount', 'podDisruptionBudget', 'nameOverride', 'fullnameOverride', 'namespaceOverride', 'extraResources', 'tlsCA']);
  for (const key of Object.keys(values)) if (!top.has(key)) problems.push(`${file}: unknown top-level key ${key}`);
  const config = (values.config ?? {}) as {
    cluster?: { enabled?: boolean; replicas?: number };
    jetstream?: { enabled?: boolean; fileStore?: { enabled?: boolean; pvc?: { enabled?: boolean; size?: string } } };
    monitor?: { enabled?: boolean; port?: number };
  };
  const replicas = config.cluster?.replicas ?? 0;
  if (!config.cluster?.enabled || replicas < 3 || replicas % 2 === 0) problems.push(`${file}: config.cluster must be enabled with an odd number (≥ 3) of replicas`);
  if (!config.jetstream?.enabled || config.jetstream.fileStore?.enabled === false || config.jetstream.fileStore?.pvc?.enabled === false || !config.jetstream.fileStore?.pvc?.size) {
    problems.push(`${file}: JetStream must be enabled with file storage on a volume (config.jetstream.fileStore.pvc.size)`);
  }
  const monitorPort = config.monitor?.port ?? 8222;
  if (config.monitor?.enabled === false) problems.push(`${file}: monitoring must stay enabled (KEDA reads /jsz)`);
  for (const scaled of ofKind(resources, 'ScaledObject')) {
    for (const trigger of ((scaled.spec as { triggers?: Array<{ type: string; metadata?: Record<string, string> }> }).triggers ?? []).filter((t) => t.type === 'nats-jetstream')) {
      if (!trigger.metadata?.natsServerMonitoringEndpoint?.endsWith(`:${monitorPort}`)) problems.push(`ScaledObject ${scaled.metadata.name}: the monitoring endpoint is not on port ${monitorPort}`);
    }
  }
  const streamReplicas = ofKind(resources, 'ConfigMap')
    .map((c) => (isObject(c.data) ? c.data.STREAM_REPLICAS : undefined))
    .find((v) => v !== undefined);
  if (Number(streamReplicas) !== Math.min(3, replicas)) problems.push(`ConfigMap: STREAM_REPLICAS is ${String(streamReplicas)}, expected ${Math.min(3, replicas)} on a ${replicas}-node JetStream cluster`);
  return problems;
}
