import { isObject, type JsonObject, type Resource } from '../resource';

/** Small typed views over rendered manifests, for the checks. */
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
  securityContext?: JsonObject;
}

export interface Probe {
  httpGet?: { path?: string; port?: string | number };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[]; terminationGracePeriodSeconds?: number; securityContext?: JsonObject; restartPolicy?: string };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export function podTemplate(resource: Resource): PodTemplate | undefined {
  const spec = resource.spec;
  if (!isObject(spec) || !isObject(spec.template)) return undefined;
  return spec.template as unknown as PodTemplate;
}

export function find(resources: readonly Resource[], kind: string, name: string): Resource | undefined {
  return resources.find((r) => r.kind === kind && r.metadata.name === name);
}

export function ofKind(resources: readonly Resource[], kind: string): Resource[] {
  return resources.filter((r) => r.kind === kind);
}

/** Kubernetes label-selector semantics: every matchLabels pair and every expression must hold. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    if (operator === 'In' && !(has && values.includes(labels[key]))) return false;
    if (operator === 'NotIn' && has && values.includes(labels[key])) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The variables a container sees from its own env and from the ConfigMaps it loads whole. */
export function environment(container: Container, resources: readonly Resource[]): Map<string, { value?: string; secret?: { name: string; key: string } }> {
  const result = new Map<string, { value?: string; secret?: { name: string; key: string } }>();
  for (const source of container.envFrom ?? []) {
    const configMap = source.configMapRef && find(resources, 'ConfigMap', source.configMapRef.name);
    const data = configMap && isObject(configMap.data) ? configMap.data : {};
    for (const [name, value] of Object.entries(data)) result.set(name, { value: String(value) });
  }
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    result.set(entry.name, ref ? { secret: { name: ref.name, key: ref.key } } : { value: entry.value });
  }
  return result;
}
