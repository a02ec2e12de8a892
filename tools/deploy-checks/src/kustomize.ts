import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { isObject, type Resource } from './resource';

/** `kubectl kustomize` failed or printed something that is not a list of Kubernetes objects. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

/**
 * The objects `kubectl kustomize <dir>` renders (kubectl embeds kustomize v5): the real renderer, so what
 * is checked is what `kubectl apply -k` would send. Output order is kustomize's (sorted by kind).
 */
export function renderKustomization(dir: string): Resource[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new KustomizeError(`kubectl kustomize ${dir}: ${run.error.message} (is kubectl on the PATH?)`);
  if (run.status !== 0) throw new KustomizeError(`kubectl kustomize ${dir} exited with ${run.status}: ${run.stderr.trim()}`);
  return parseAllDocuments(run.stdout).map((document, index) => {
    if (document.errors.length > 0) throw new KustomizeError(`kubectl kustomize ${dir}: document ${index}: ${document.errors[0].message}`);
    const object: unknown = document.toJS();
    if (!isObject(object) || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string' || !isObject(object.metadata)) {
      throw new KustomizeError(`kubectl kustomize ${dir}: document ${index} is not a Kubernetes object`);
    }
    return object as Resource;
  });
}
