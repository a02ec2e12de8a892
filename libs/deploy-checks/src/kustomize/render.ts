import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { KustomizeError } from './errors';
import { applyJsonPatch, type PatchOperation } from './json-patch';
import { apiGroup, describeResource, isObject, type JsonObject, type Resource } from './resource';
import { strategicMerge } from './strategic-merge';

/**
 * A small `kustomize build`: exactly the features this repository's k8s/ uses, in kustomize's order
 * (resources, then patches, namespace, labels, images). Anything else in a kustomization is an error
 * naming the field, so a manifest can never rely on a feature rendered differently here than by kustomize.
 * Output order is the order of the resources, where kustomize sorts by kind: compare sets, not sequences.
 */
export function renderKustomization(dir: string): Resource[] {
  const file = path.join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const kustomization = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!isObject(kustomization)) throw new KustomizeError(`${file}: not a mapping`);
  const unsupported = Object.keys(kustomization).filter((field) => !FIELDS.has(field));
  if (unsupported.length > 0) {
    throw new KustomizeError(`${file}: unsupported field(s) ${unsupported.join(', ')} (this renderer implements ${[...FIELDS].join(', ')})`);
  }
  if (kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || kustomization.kind !== 'Kustomization') {
    throw new KustomizeError(`${file}: apiVersion must be kustomize.config.k8s.io/v1beta1 and kind Kustomization`);
  }

  let resources: Resource[] = [];
  for (const entry of list<string>(kustomization.resources, `${file}: resources`)) {
    const target = path.resolve(dir, entry);
    const loaded = existsSync(target) && statSync(target).isDirectory() ? renderKustomization(target) : readResources(target);
    for (const resource of loaded) {
      if (resources.some((other) => sameId(other, resource))) throw new KustomizeError(`${file}: ${describeResource(resource)} is declared twice`);
      resources.push(resource);
    }
  }
  for (const [index, entry] of list<JsonObject>(kustomization.patches, `${file}: patches`).entries()) {
    resources = applyPatch(resources, entry, dir, `${file}: patches[${index}]`);
  }
  if (kustomization.namespace !== undefined) resources = resources.map((r) => setNamespace(r, String(kustomization.namespace), file));
  for (const labels of list<JsonObject>(kustomization.labels, `${file}: labels`)) resources = resources.map((r) => addLabels(r, labels, file));
  for (const image of list<JsonObject>(kustomization.images, `${file}: images`)) resources = resources.map((r) => setImage(r, image, file));
  return resources;
}

const FIELDS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'patches', 'images']);

/** Kinds kustomize's namespace transformer leaves alone (cluster-scoped). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass']);
/** Kinds where kustomize's namespace transformer also rewrites references: not implemented, so refused. */
const NAMESPACE_REFERENCES = new Set(['RoleBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService']);

function readResources(file: string): Resource[] {
  if (!existsSync(file)) throw new KustomizeError(`${file}: no such file`);
  const resources: Resource[] = [];
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (document.errors.length > 0) throw new KustomizeError(`${file}: ${document.errors[0].message}`);
    const value = document.toJS() as unknown;
    if (value === null || value === undefined) continue;
    if (!isObject(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || !isObject(value.metadata) || typeof value.metadata.name !== 'string') {
      throw new KustomizeError(`${file}: every document needs apiVersion, kind and metadata.name`);
    }
    resources.push(value as Resource);
  }
  return resources;
}

function applyPatch(resources: Resource[], entry: JsonObject, dir: string, where: string): Resource[] {
  const unknown = Object.keys(entry).filter((field) => !['path', 'patch', 'target'].includes(field));
  if (unknown.length > 0) throw new KustomizeError(`${where}: unsupported field(s) ${unknown.join(', ')}`);
  if ((entry.path === undefined) === (entry.patch === undefined)) throw new KustomizeError(`${where}: give exactly one of path and patch`);
  const text = entry.path !== undefined ? readFileSync(path.resolve(dir, String(entry.path)), 'utf8') : String(entry.patch);
  const documents = parseAllDocuments(text);
  if (documents.length !== 1) throw new KustomizeError(`${where}: one patch per entry (found ${documents.length} documents)`);
  const body = documents[0].toJS() as unknown;

  if (Array.isArray(body)) {
    if (!isObject(entry.target)) throw new KustomizeError(`${where}: a JSON 6902 patch needs a target`);
    const targets = matchTarget(resources, entry.target, where);
    return resources.map((r) => (targets.includes(r) ? applyJsonPatch(r, body as PatchOperation[], `${where} on ${describeResource(r)}`) : r));
  }
  if (!isObject(body)) throw new KustomizeError(`${where}: a patch is a mapping (strategic merge) or a list (JSON 6902)`);
  let targets: Resource[];
  if (isObject(entry.target)) {
    targets = matchTarget(resources, entry.target, where);
  } else {
    const metadata = isObject(body.metadata) ? body.metadata : {};
    targets = resources.filter((r) => r.kind === body.kind && r.apiVersion === body.apiVersion && r.metadata.name === metadata.name);
    if (targets.length !== 1) throw new KustomizeError(`${where}: ${String(body.apiVersion)} ${String(body.kind)} ${String(metadata.name)} matches ${targets.length} resources, not one`);
  }
  return resources.map((r) => (targets.includes(r) ? (strategicMerge(r, body, apiGroup(r.apiVersion), `${where} on ${describeResource(r)}`) as Resource) : r));
}

/** Kustomize's patch target: kind, group and version exactly; name as an anchored regular expression. */
function matchTarget(resources: Resource[], target: JsonObject, where: string): Resource[] {
  const unknown = Object.keys(target).filter((field) => !['group', 'version', 'kind', 'name'].includes(field));
  if (unknown.length > 0) throw new KustomizeError(`${where}: unsupported target field(s) ${unknown.join(', ')}`);
  const name = typeof target.name === 'string' ? new RegExp(`^(?:${target.name})$`) : undefined;
  const matches = resources.filter((r) => {
    const version = r.apiVersion.includes('/') ? r.apiVersion.slice(r.apiVersion.indexOf('/') + 1) : r.apiVersion;
    return (
      (target.kind === undefined || r.kind === target.kind) &&
      (target.group === undefined || apiGroup(r.apiVersion) === target.group) &&
      (target.version === undefined || version === target.version) &&
      (name === undefined || name.test(r.metadata.name))
    );
  });
  if (matches.length === 0) throw new KustomizeError(`${where}: the target matches no resource`);
  return matches;
}

function setNamespace(resource: Resource, namespace: string, file: string): Resource {
  if (CLUSTER_SCOPED.has(resource.kind)) return resource;
  if (NAMESPACE_REFERENCES.has(resource.kind)) throw new KustomizeError(`${file}: namespace with a ${resource.kind} is not supported`);
  return { ...resource, metadata: { ...resource.metadata, namespace } };
}

/** `labels` with includeSelectors false and no includeTemplates: metadata.labels only. */
function addLabels(resource: Resource, entry: JsonObject, file: string): Resource {
  const unknown = Object.keys(entry).filter((field) => !['pairs', 'includeSelectors'].includes(field));
  if (unknown.length > 0 || entry.includeSelectors !== false || !isObject(entry.pairs)) {
    throw new KustomizeError(`${file}: labels entries must be { pairs, includeSelectors: false } (selector and template labels are not supported)`);
  }
  const pairs = Object.fromEntries(Object.entries(entry.pairs).map(([k, v]) => [k, String(v)]));
  return { ...resource, metadata: { ...resource.metadata, labels: { ...resource.metadata.labels, ...pairs } } };
}

/** `images`: every container and init container, anywhere in the resource, whose image has this name. */
function setImage(resource: Resource, entry: JsonObject, file: string): Resource {
  const unknown = Object.keys(entry).filter((field) => !['name', 'newName', 'newTag', 'digest'].includes(field));
  if (unknown.length > 0 || typeof entry.name !== 'string') throw new KustomizeError(`${file}: images entries are { name, newName?, newTag?, digest? }`);
  const rewrite = (image: string): string => {
    const { name, tag, digest } = splitImage(image);
    if (name !== entry.name) return image;
    const newName = typeof entry.newName === 'string' ? entry.newName : name;
    if (typeof entry.digest === 'string') return `${newName}@${entry.digest}`;
    if (entry.newTag !== undefined) return `${newName}:${String(entry.newTag)}`;
    return `${newName}${digest ? `@${digest}` : tag ? `:${tag}` : ''}`;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObject(node)) return node;
    const result: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
        result[key] = value.map((c) => (isObject(c) && typeof c.image === 'string' ? { ...(walk(c) as JsonObject), image: rewrite(c.image) } : walk(c)));
      } else {
        result[key] = walk(value);
      }
    }
    return result;
  };
  return walk(resource) as Resource;
}

/** `registry:5000/a/b:tag@sha256:…` → name, tag, digest (a colon after the last slash starts the tag). */
export function splitImage(image: string): { name: string; tag?: string; digest?: string } {
  const [withTag, digest] = image.split('@');
  const slash = withTag.lastIndexOf('/');
  const colon = withTag.indexOf(':', slash + 1);
  return colon === -1 ? { name: withTag, digest } : { name: withTag.slice(0, colon), tag: withTag.slice(colon + 1), digest };
}

function sameId(a: Resource, b: Resource): boolean {
  return apiGroup(a.apiVersion) === apiGroup(b.apiVersion) && a.kind === b.kind && a.metadata.name === b.metadata.name && a.metadata.namespace === b.metadata.namespace;
}

function list<T>(value: unknown, where: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${where} must be a list`);
  return value as T[];
}
