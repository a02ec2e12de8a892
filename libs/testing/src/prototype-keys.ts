import fc from 'fast-check';

/** A JSON tree holding exactly one key the contract refuses, and that key's path as errors name it. */
export interface PlantedPrototypeKey {
  /** A JSON object or array; serialise it with JSON.stringify (the key is an own, enumerable property). */
  readonly value: Record<string, unknown> | unknown[];
  /** The refused key's path under the empty root: `a[1].b.__proto__`, `[0].constructor`, `__proto__`. */
  readonly path: string;
  readonly key: '__proto__' | 'constructor';
}

/** Keys that need no quoting in a path (so the expected path is plain to write) and are never refused. */
const stepKey = fc.stringMatching(/^[a-z_][a-z0-9]?$/);
const safeKey = fc.string({ maxLength: 6 }).filter((k) => k !== '__proto__' && k !== 'constructor');
/** JSON with no refused key anywhere: fast-check's own keys include "__proto__" and "constructor" on purpose. */
const { clean } = fc.letrec<{ clean: unknown }>((tie) => ({
  clean: fc.oneof(
    // Shallow, so a tree planted `maxDepth` levels down nests at most `maxDepth` + 5 levels.
    { depthSize: 'small', maxDepth: 3 },
    fc.string({ maxLength: 6 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('clean'), { maxLength: 2 }),
    fc.dictionary(safeKey, tie('clean'), { maxKeys: 2 }),
  ),
}));

/** `record` with `key` set as an own data property, as JSON.parse makes it (assignment would set the prototype). */
function withOwn(record: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return record;
}

/**
 * Any JSON tree with one `__proto__` key, or one `constructor` key holding a `prototype` key, planted at
 * any depth from 0 to `maxDepth` (objects and arrays on the way, with clean siblings before and after it),
 * for the specs of each door that must refuse it: the HTTP edge, validation, bus ingest and the bus re-check.
 */
export function plantedPrototypeKey(maxDepth = 40): fc.Arbitrary<PlantedPrototypeKey> {
  const level = fc.oneof(
    fc.record({ kind: fc.constant('object' as const), key: stepKey, before: fc.dictionary(stepKey, clean, { maxKeys: 2 }), after: fc.dictionary(stepKey, clean, { maxKeys: 2 }) }),
    fc.record({ kind: fc.constant('array' as const), before: fc.array(clean, { maxLength: 2 }), after: fc.array(clean, { maxLength: 2 }) }),
  );
  return fc
    .record({
      levels: fc.array(level, { maxLength: maxDepth }),
      key: fc.constantFrom('__proto__' as const, 'constructor' as const),
      held: clean,
      siblings: fc.dictionary(stepKey, clean, { maxKeys: 2 }),
    })
    .map(({ levels, key, held, siblings }) => {
      const bottom = { ...siblings };
      withOwn(bottom, key, key === '__proto__' ? held : { prototype: held });
      let value: Record<string, unknown> | unknown[] = bottom;
      let path = `.${key}`;
      for (let i = levels.length - 1; i >= 0; i--) {
        const step = levels[i];
        if (step.kind === 'array') {
          value = [...step.before, value, ...step.after];
          path = `[${step.before.length}]${path}`;
        } else {
          // The step's key wins over a sibling of the same name, so the path stays the one planted.
          const record: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(step.before)) if (k !== step.key) record[k] = v;
          record[step.key] = value;
          for (const [k, v] of Object.entries(step.after)) if (k !== step.key && !Object.hasOwn(step.before, k)) record[k] = v;
          value = record;
          path = `.${step.key}${path}`;
        }
      }
      return { value, path: path.startsWith('.') ? path.slice(1) : path, key };
    });
}
