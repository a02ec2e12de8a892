import { isIP } from 'node:net';
import { EcsFlat, EcsVersion } from '@elastic/ecs';
import fc from 'fast-check';
import { ACTION_TYPES } from '@audit/contracts';
import { ACTION_FORMATS } from './action-formats';
import { ECS_VERSION, toEcs } from './ecs';
import { auditEventArbitrary } from './event-arbitrary.fixture';
import { sampleEvents } from './sample-events.fixture';

/** ECS field definitions from Elastic's own package (@elastic/ecs, generated from the ECS repository's ecs_flat.yml). */
type FieldDef = { type: string; normalize: string[]; allowed_values?: Array<{ name: string; expected_event_types?: string[] }> };
const FIELDS = EcsFlat as unknown as Record<string, FieldDef>;

const TEXT_TYPES = new Set(['keyword', 'wildcard', 'match_only_text', 'text', 'constant_keyword']);

/** The problems of a document against the ECS field definitions; empty when every field is ECS's, of its type. */
function ecsProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (value: unknown, path: string): void => {
    const def = FIELDS[path];
    if (def === undefined) {
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(v, path === '' ? k : `${path}.${k}`);
      } else problems.push(`${path}: not an ECS field`);
      return;
    }
    if (def.type === 'object') {
      // `labels`: flat keyword values only.
      for (const [k, v] of Object.entries(value as object)) if (typeof v !== 'string') problems.push(`${path}.${k}: keyword expected`);
      return;
    }
    const values = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && !def.normalize.includes('array')) problems.push(`${path}: not an array field`);
    for (const v of values) {
      if (TEXT_TYPES.has(def.type) && typeof v !== 'string') problems.push(`${path}: ${def.type} expected`);
      if (def.type === 'date' && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) problems.push(`${path}: date expected`);
      if (def.type === 'long' && !Number.isSafeInteger(v)) problems.push(`${path}: long expected, got ${String(v)}`);
      if (def.type === 'ip' && (typeof v !== 'string' || isIP(v) === 0)) problems.push(`${path}: ip expected`);
      if (def.allowed_values && !def.allowed_values.some((a) => a.name === v)) problems.push(`${path}: ${String(v)} is not an allowed value`);
    }
  };
  walk(doc, '');
  return problems;
}

describe('ECS', () => {
  it('follows the ECS version whose field definitions the tests use', () => {
    expect(EcsVersion).toBe(ECS_VERSION);
  });

  it.each(sampleEvents().map((event) => [event.actionType, event] as const))('%s uses ECS fields only, each of its type', (_type, event) => {
    expect(ecsProblems(toEcs(event, JSON.stringify(event)))).toEqual([]);
  });

  it('every event the contract allows gives ECS fields only, each of its type', () => {
    fc.assert(
      fc.property(auditEventArbitrary, (event) => {
        expect(ecsProblems(toEcs(event, JSON.stringify(event)))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('gives each action type event types that ECS expects with its category', () => {
    const categories = FIELDS['event.category'].allowed_values ?? [];
    for (const type of ACTION_TYPES) {
      const { category, type: types } = ACTION_FORMATS[type].ecs;
      const expected = categories.find((c) => c.name === category)?.expected_event_types ?? [];
      expect({ type, unexpected: types.filter((t) => !expected.includes(t)) }).toEqual({ type, unexpected: [] });
    }
  });

  it('finds a field ECS does not have, and a value of the wrong type', () => {
    const doc = toEcs(sampleEvents()[0], '{}');
    expect(ecsProblems({ ...doc, audit: { org: 'acme' } })).toEqual(['audit.org: not an ECS field']);
    expect(ecsProblems({ ...doc, source: { ip: 'nowhere' } })).toEqual(['source.ip: ip expected']);
    expect(ecsProblems({ ...doc, event: { ...(doc.event as object), kind: 'audit' } })).toEqual(['event.kind: audit is not an allowed value']);
  });
});
