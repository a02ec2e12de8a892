import { KustomizeError } from './errors';
import { clone, isObject, type JsonObject } from './resource';

/**
 * The lists of built-in kinds that a strategic-merge patch merges element by element, and their keys
 * (the `patchMergeKey` of the Kubernetes API). Every other list in a patch must be new to the target:
 * then setting it is what every merge strategy does. Patching an existing list that is not here is
 * refused, because kustomize's answer depends on the schema (replace for most, merge for some): use a
 * JSON 6902 patch, whose meaning does not depend on it.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
};

/** Groups of the built-in API, whose schema kustomize knows (lists of custom resources are replaced instead). */
const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io']);

/**
 * Merges `patch` into a copy of `target` like kustomize's strategic merge: maps recursively, `null`
 * deletes a field, the lists of {@link MERGE_KEYS} by key (a new element is appended), other lists only
 * where the target has none. `$patch` and other directives are refused.
 */
export function strategicMerge(target: JsonObject, patch: JsonObject, group: string, where: string): JsonObject {
  return mergeMaps(clone(target), patch, BUILTIN_GROUPS.has(group), where);
}

function mergeMaps(target: JsonObject, patch: JsonObject, builtin: boolean, path: string): JsonObject {
  for (const [key, value] of Object.entries(patch)) {
    const at = `${path}.${key}`;
    if (key.startsWith('$')) throw new KustomizeError(`${at}: strategic-merge directives are not supported`);
    if (value === null) {
      delete target[key];
    } else if (Array.isArray(value)) {
      target[key] = mergeList(target[key], value, key, builtin, at);
    } else if (isObject(value)) {
      target[key] = mergeMaps(isObject(target[key]) ? target[key] : {}, value, builtin, at);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function mergeList(current: unknown, patch: unknown[], key: string, builtin: boolean, at: string): unknown[] {
  if (current === undefined) return clone(patch).map((item) => (isObject(item) ? stripNulls(item) : item));
  const mergeKey = builtin ? MERGE_KEYS[key] : undefined;
  if (!mergeKey || !Array.isArray(current)) {
    throw new KustomizeError(`${at}: a strategic-merge patch may only set a list the target lacks, or merge ${Object.keys(MERGE_KEYS).join(', ')} of built-in kinds; use a JSON 6902 patch`);
  }
  const result = clone(current);
  for (const item of patch) {
    if (!isObject(item) || typeof item[mergeKey] !== 'string') throw new KustomizeError(`${at}: every element needs its "${mergeKey}"`);
    const existing = result.findIndex((candidate) => isObject(candidate) && candidate[mergeKey] === item[mergeKey]);
    if (existing === -1) result.push(stripNulls(item));
    else result[existing] = mergeMaps(result[existing] as JsonObject, item, builtin, `${at}[${mergeKey}=${String(item[mergeKey])}]`);
  }
  return result;
}

function stripNulls(value: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null) continue;
    result[key] = isObject(item) ? stripNulls(item) : item;
  }
  return result;
}
