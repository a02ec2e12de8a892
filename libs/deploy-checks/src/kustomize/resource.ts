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

/** The API group of an apiVersion: `apps` for `apps/v1`, empty for the core `v1`. */
export function apiGroup(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
