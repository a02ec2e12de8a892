import { KustomizeError } from './errors';
import { clone, isObject } from './resource';

/** One RFC 6902 operation; the renderer implements add, remove, replace and test. */
export interface PatchOperation {
  op: string;
  path: string;
  value?: unknown;
}

const OPERATIONS = new Set(['add', 'remove', 'replace', 'test']);

/**
 * Applies RFC 6902 operations to a copy of `document` and returns it. `move` and `copy` are refused
 * rather than approximated, so what renders here renders the same under `kustomize build`.
 */
export function applyJsonPatch<T>(document: T, operations: readonly PatchOperation[], where: string): T {
  const result = clone(document);
  for (const [index, operation] of operations.entries()) {
    const at = `${where}, operation ${index} (${operation.op} ${operation.path})`;
    if (!isObject(operation) || typeof operation.path !== 'string' || !OPERATIONS.has(operation.op)) {
      throw new KustomizeError(`${at}: only add, remove, replace and test operations with a path are supported`);
    }
    if (operation.op !== 'remove' && !('value' in operation)) throw new KustomizeError(`${at}: a value is required`);
    const tokens = parsePointer(operation.path, at);
    if (tokens.length === 0) throw new KustomizeError(`${at}: the whole document cannot be patched`);
    const parent = resolve(result, tokens.slice(0, -1), at);
    const last = tokens[tokens.length - 1];
    if (Array.isArray(parent)) {
      const index = last === '-' && operation.op === 'add' ? parent.length : arrayIndex(last, parent.length + (operation.op === 'add' ? 1 : 0), at);
      if (operation.op === 'add') parent.splice(index, 0, clone(operation.value));
      else if (operation.op === 'remove') parent.splice(index, 1);
      else if (operation.op === 'replace') parent[index] = clone(operation.value);
      else if (JSON.stringify(parent[index]) !== JSON.stringify(operation.value)) throw new KustomizeError(`${at}: test failed`);
    } else if (isObject(parent)) {
      if (operation.op !== 'add' && !(last in parent)) throw new KustomizeError(`${at}: no such field`);
      if (operation.op === 'remove') delete parent[last];
      else if (operation.op === 'test') {
        if (JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) throw new KustomizeError(`${at}: test failed`);
      } else parent[last] = clone(operation.value);
    } else {
      throw new KustomizeError(`${at}: the parent is not an object or a list`);
    }
  }
  return result;
}

function parsePointer(pointer: string, at: string): string[] {
  if (!pointer.startsWith('/')) throw new KustomizeError(`${at}: a path must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolve(document: unknown, tokens: readonly string[], at: string): unknown {
  let node = document;
  for (const token of tokens) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, at)];
    else if (isObject(node) && token in node) node = node[token];
    else throw new KustomizeError(`${at}: "${token}" does not exist`);
  }
  return node;
}

function arrayIndex(token: string, length: number, at: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) >= length) throw new KustomizeError(`${at}: "${token}" is not an index of the list`);
  return Number(token);
}
