import { validateBatch } from './batch';
import type { AuditEvent, BatchFieldError } from './event';
import { MAX_BATCH_EVENTS } from './limits';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const OPTS = { now: NOW, receivedAt: new Date('2026-03-01T12:00:00.250Z') };
const ID_A = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const ID_B = '9b2f4a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { organizationId: 'org_1', actionType: 'LOGIN', ...overrides };
}

function accept(input: unknown): AuditEvent[] {
  const result = validateBatch(input, OPTS);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.events;
}

function reject(input: unknown): BatchFieldError[] {
  const result = validateBatch(input, OPTS);
  if (result.ok) throw new Error(`expected errors, got ${result.events.length} events`);
  expect(result.errors.length).toBeGreaterThan(0);
  return result.errors;
}

describe('validateBatch: a single object', () => {
  it('is a batch of one', () => {
    const events = accept(event({ id: ID_A }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: ID_A, actionType: 'LOGIN', receivedAt: '2026-03-01T12:00:00.250Z' });
  });

  it('reports errors with index 0 and unprefixed paths', () => {
    expect(reject(event({ ipAddress: 'abc', responseTimeMs: 1.5 }))).toEqual([
      { index: 0, path: 'ipAddress', reason: expect.stringMatching(/^must be a valid IPv4 or IPv6 address/) },
      { index: 0, path: 'responseTimeMs', reason: expect.stringMatching(/^must be a whole number/) },
    ]);
  });

  it.each([['null', null], ['a string', 'x'], ['a number', 3]])('reports %s as path $, index 0', (_label, input) => {
    expect(reject(input)).toEqual([{ index: 0, path: '$', reason: expect.stringMatching(/^must be a JSON object/) }]);
  });
});

describe('validateBatch: arrays', () => {
  it('rejects an empty array', () => {
    expect(reject([])).toEqual([{ index: -1, path: '$', reason: 'must contain at least one event' }]);
  });

  it(`accepts exactly ${MAX_BATCH_EVENTS} events, in order, with ids assigned in increasing order`, () => {
    const events = accept(Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => event({ pageName: `p${i}` })));
    expect(events).toHaveLength(1000);
    expect(events.map((e) => e.pageName)).toEqual(Array.from({ length: 1000 }, (_, i) => `p${i}`));
    expect(new Set(events.map((e) => e.id)).size).toBe(1000);
    for (let i = 1; i < events.length; i++) expect(events[i].id > events[i - 1].id).toBe(true);
    for (const e of events) expect(e.receivedAt).toBe('2026-03-01T12:00:00.250Z');
  });

  it(`rejects ${MAX_BATCH_EVENTS + 1} events on size alone`, () => {
    const items = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => ({ bogus: true }));
    expect(reject(items)).toEqual([{ index: -1, path: '$', reason: 'must contain at most 1000 events (got 1001)' }]);
  });

  it('prefixes paths with [i] and sets index i', () => {
    const items = [event(), event(), event(), event({ ipAddress: '999.1.1.1', user: { email: 'x', userName: 'X' } })];
    expect(reject(items)).toEqual([
      { index: 3, path: '[3].user.email', reason: expect.stringMatching(/^must contain "@"/) },
      { index: 3, path: '[3].ipAddress', reason: expect.stringMatching(/^must be a valid IPv4 or IPv6 address/) },
    ]);
  });

  it('reports errors of every bad item, not just the first', () => {
    const errors = reject([event({ actionType: 'NOPE' }), event(), 'not an event', event({ metadata: null })]);
    expect(errors.map(({ index, path }) => ({ index, path }))).toEqual([
      { index: 0, path: '[0].actionType' },
      { index: 2, path: '[2]' },
      { index: 3, path: '[3].metadata' },
    ]);
  });

  it('reports a nested array item at [i]', () => {
    expect(reject([event(), [event()]])).toEqual([
      { index: 1, path: '[1]', reason: 'must be a JSON object (got an array)' },
    ]);
  });

  it('accepts distinct explicit ids', () => {
    expect(accept([event({ id: ID_A }), event({ id: ID_B })]).map((e) => e.id)).toEqual([ID_A, ID_B]);
  });
});

describe('validateBatch: duplicate ids', () => {
  it('reports the later item, naming the first', () => {
    expect(reject([event({ id: ID_A }), event({ id: ID_B }), event({ id: ID_A })])).toEqual([
      { index: 2, path: '[2].id', reason: 'duplicates the id of item 0' },
    ]);
  });

  it('treats ids differing only in case as duplicates', () => {
    expect(reject([event({ id: ID_A }), event({ id: ID_A.toUpperCase() })])).toEqual([
      { index: 1, path: '[1].id', reason: 'duplicates the id of item 0' },
    ]);
  });

  it('reports every repeat against the first occurrence', () => {
    const errors = reject([event({ id: ID_A }), event({ id: ID_A }), event({ id: ID_A })]);
    expect(errors).toEqual([
      { index: 1, path: '[1].id', reason: 'duplicates the id of item 0' },
      { index: 2, path: '[2].id', reason: 'duplicates the id of item 0' },
    ]);
  });

  it('detects duplicates even when an item has other errors, keeping errors grouped by item', () => {
    const errors = reject([event({ id: ID_A, responseTimeMs: -1 }), event({ id: ID_A, pageName: 5 }), event({ actionType: 'X' })]);
    expect(errors.map(({ index, path }) => ({ index, path }))).toEqual([
      { index: 0, path: '[0].responseTimeMs' },
      { index: 1, path: '[1].pageName' },
      { index: 1, path: '[1].id' },
      { index: 2, path: '[2].actionType' },
    ]);
  });

  it('does not treat two absent ids as duplicates', () => {
    const events = accept([event(), event()]);
    expect(events[0].id).not.toBe(events[1].id);
  });
});
