import fc from 'fast-check';
import { canonicalEventOf } from './canonical';
import { findPrototypeKey, jsonMayHoldPrototypeKey } from './prototype-keys';
import { validateEvent } from './validate';

const NOW = new Date('2026-03-01T12:00:00.000Z');

/**
 * The rule stated the plain way, as the oracle: recursion over the whole tree, every refused key collected
 * with its steps in document order. (The walk under test keeps its own stack and stops at the first.)
 */
function refusedKeys(value: unknown, steps: Array<string | number> = [], found: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) value.forEach((child, i) => refusedKeys(child, [...steps, i], found));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const holdsPrototype = typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype');
      if (key === '__proto__' || (key === 'constructor' && holdsPrototype)) found.push([...steps, key]);
      else refusedKeys(child, [...steps, key], found);
    }
  }
  return found;
}

/** The path as errors name it, spelt out for the short keys drawn here: `[1]`, `.a`, `["b c"]`. */
const pathOf = (root: string, steps: Array<string | number>): string =>
  root + steps.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('');

/**
 * JSON from JSON.parse, where "__proto__" is an own key: fast-check draws "__proto__", "constructor" and
 * "prototype" among its keys on purpose; the small key set makes them meet often.
 */
const key = fc.oneof({ arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'b c'), weight: 3 }, { arbitrary: fc.string({ maxLength: 4 }), weight: 1 });
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', maxDepth: 6 }, fc.integer(), fc.constant(null), fc.string({ maxLength: 3 }), fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(key, tie('tree'), { maxKeys: 3 })),
}));
const parsedTree = tree.map((value) => JSON.parse(JSON.stringify(value) ?? 'null') as unknown);

describe('the prototype-key rule (findPrototypeKey)', () => {
  it('refuses exactly what the rule says, naming the first such key in the document (property)', () => {
    let refused = 0;
    fc.assert(
      fc.property(parsedTree, (value) => {
        const expected = refusedKeys(value)[0];
        const found = findPrototypeKey(value, 'metadata');
        if (expected === undefined) return expect(found).toBeUndefined();
        refused++;
        expect(found?.path).toBe(pathOf('metadata', expected));
        expect(found?.reason).toMatch(expected[expected.length - 1] === '__proto__' ? /^is a "__proto__" key/ : /^is a "constructor" key holding a "prototype" key/);
        // The gate never turns away a text that holds one.
        expect(jsonMayHoldPrototypeKey(JSON.stringify(value))).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    expect(refused).toBeGreaterThan(50);
  });

  it('names the path under the root, quoting keys that are not identifiers', () => {
    const value: unknown = JSON.parse('{"a":[1,{"b c":{"__proto__":{}}}]}');
    expect(findPrototypeKey(value, 'metadata')?.path).toBe('metadata.a[1]["b c"].__proto__');
    expect(findPrototypeKey(value, '')?.path).toBe('a[1]["b c"].__proto__');
    expect(findPrototypeKey(JSON.parse('[{"constructor":{"prototype":1}}]'), '')?.path).toBe('[0].constructor');
    // A key spelt with escapes is the same key once parsed; the gate lets it through to the walk.
    const escaped = '{"\\u005f_proto__":1}';
    expect(jsonMayHoldPrototypeKey(escaped)).toBe(true);
    expect(findPrototypeKey(JSON.parse(escaped), '')?.path).toBe('__proto__');
  });

  it('takes a "constructor" or "prototype" key that cannot reach a prototype', () => {
    for (const json of ['{"constructor":1}', '{"constructor":"Foo"}', '{"constructor":[{"prototype":1}]}', '{"prototype":{"constructor":1}}', '{"constructor":{"proto":1}}']) {
      expect(findPrototypeKey(JSON.parse(json), '')).toBeUndefined();
    }
  });

  it('walks any depth without recursion', () => {
    const levels = 100_000;
    const json = '['.repeat(levels) + '{"__proto__":1}' + ']'.repeat(levels);
    const found = findPrototypeKey(JSON.parse(json), '');
    expect(found?.reason).toMatch(/"__proto__" key/);
    // A path that long is cut to what an answer can carry.
    expect(found?.path.length).toBeLessThanOrEqual(201);
  });
});

describe('the rule at the contract doors: validateEvent and canonicalEventOf', () => {
  it('refuses metadata holding such a key at any depth, naming its path, and the bus re-check does not pass it (property)', () => {
    let refused = 0;
    fc.assert(
      fc.property(parsedTree, (tree) => {
        const metadata = JSON.parse(JSON.stringify({ m: tree })) as Record<string, unknown>;
        const expected = refusedKeys(metadata)[0];
        const result = validateEvent({ organizationId: 'acme', actionType: 'LOGIN', metadata }, { now: NOW });
        // What ingest publishes, or would have published had it not refused.
        const published = JSON.parse(
          JSON.stringify({ schemaVersion: 1, id: '018f0000-0000-7000-8000-000000000000', organizationId: 'acme', actionType: 'LOGIN', userId: null, user: null, ipAddress: null, responseTimeMs: null, pageName: null, queryName: null, resourceName: null, metadata, createdAt: NOW.toISOString(), receivedAt: NOW.toISOString() }),
        ) as unknown;
        if (expected === undefined) {
          expect(result.ok).toBe(true);
          expect(canonicalEventOf(published)).toBeDefined();
          return;
        }
        refused++;
        expect(result).toEqual({ ok: false, errors: [{ path: pathOf('metadata', expected), reason: expect.stringMatching(/^is a "(__proto__|constructor)" key/) as unknown }] });
        expect(canonicalEventOf(published)).toBeUndefined();
      }),
      { numRuns: 1_000 },
    );
    expect(refused).toBeGreaterThan(20);
  });
});
