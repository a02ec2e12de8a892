/** A Kubernetes object as parsed from YAML: only the identity fields are typed. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `apps/v1 Deployment writer`: how messages name a resource. */
export function describeResource(resource: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${resource.apiVersion} ${resource.kind} ${resource.metadata?.name ?? '<unnamed>'}`;
}
