import { MAX_PATH_ECHO_CHARS, cut, segment } from './metadata-walk';

/** A key refused anywhere in what an emitter sends, and where it sits. */
export interface PrototypeKey {
  /** `metadata.a.__proto__`, `[0].metadata.constructor`: the key's own path, under the root given. */
  readonly path: string;
  readonly reason: string;
}

const PROTO_REASON =
  'is a "__proto__" key, refused at any depth: code that copies the object key by key would replace its prototype (rename the key)';
const CONSTRUCTOR_REASON =
  'is a "constructor" key holding a "prototype" key, refused at any depth: code that merges the object key by key would write into Object.prototype (rename the key)';

/**
 * Whether JSON text `json` may hold a key {@link findPrototypeKey} refuses: a look at the text that lets
 * the common body skip the walk. It errs only towards "maybe": such a key is written either as itself or
 * with `\u` escapes (JSON.stringify never escapes letters or "_", a hand-written body may).
 */
export function jsonMayHoldPrototypeKey(json: string): boolean {
  return json.includes('__proto__') || json.includes('constructor') || json.includes('\\u');
}

/**
 * The one rule of the contract on prototype keys, for every door an event comes through (the HTTP edge on
 * whole request bodies, validation and the bus re-check on metadata): a `__proto__` key, or a
 * `constructor` key whose value is an object with a `prototype` key, at any depth, is refused. JSON.parse
 * makes either an ordinary own key, harmless here, but a consumer that copies or merges the object key by
 * key (`Object.assign`, a deep merge, a non-JavaScript store read back) gets a polluted prototype; what
 * the edge refuses, the bus must refuse too, or the same event is stored by one door and not the other.
 * The rule is secure-json-parse's (Fastify's parser), so the HTTP edge keeps what it refused before.
 *
 * `value` is a tree as JSON.parse returns it (no cycles). The walk keeps an explicit stack, so no nesting
 * exhausts the call stack, and reports the first such key in document order, its path under `root`
 * (`''` for a whole body) cut to a length an answer can carry.
 */
export function findPrototypeKey(value: unknown, root: string): PrototypeKey | undefined {
  const stack: Frame[] = [{ value, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value: node, key } = frame;
    // Each key is judged when its entry comes off the stack, so the first in the document is the one reported.
    if (key === '__proto__') return { path: pathOf(root, frame), reason: PROTO_REASON };
    if (key === 'constructor' && typeof node === 'object' && node !== null && Object.hasOwn(node, 'prototype')) {
      return { path: pathOf(root, frame), reason: CONSTRUCTOR_REASON };
    }
    if (typeof node !== 'object' || node === null) continue;
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child: unknown = node[i];
        if (typeof child === 'object' && child !== null) stack.push({ value: child, parent: frame, key: i });
      }
    } else {
      const record = node as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: record[keys[i]], parent: frame, key: keys[i] });
    }
  }
  return undefined;
}

/** An entry waiting on the walk's stack; the path is rebuilt from the parents only for the key reported. */
interface Frame {
  readonly value: unknown;
  readonly parent: Frame | undefined;
  readonly key: string | number | undefined;
}

/** `root` then each step down to `key`; under the empty root the path starts with its first step, not a dot. */
function pathOf(root: string, frame: Frame): string {
  const segments: string[] = [];
  for (let f: Frame | undefined = frame; f?.key !== undefined; f = f.parent) segments.push(segment(f.key));
  const path = root + segments.reverse().join('');
  return cut(path.startsWith('.') ? path.slice(1) : path, MAX_PATH_ECHO_CHARS);
}
