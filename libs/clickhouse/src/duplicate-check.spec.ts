import fc from 'fast-check';
import { LIMITS } from '@audit/contracts';
import { DUPLICATE_CHECK_KEYS, duplicateCheckSettings, duplicateCheckStatement, UninlinableEventKeyError } from './duplicate-check';
import type { EventKey } from './encoded-event-row';
import { fromClickHouseTime, toClickHouseTime } from './time';

const key = (overrides: Partial<EventKey> = {}): EventKey => ({
  id: '0190a0b0-0000-7000-8000-000000000001',
  organizationId: 'org-a',
  createdAt: '2026-11-20 10:00:00.001',
  ...overrides,
});

const keyArb = fc.record({
  id: fc.uuid(),
  organizationId: fc.stringMatching(LIMITS.organizationIdPattern),
  createdAt: fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }).map((ms) => toClickHouseTime(new Date(ms))),
});

/** The ranges written into the statement, as epoch milliseconds. */
const rangesOf = (statement: string): Array<{ from: number; to: number }> =>
  [...statement.matchAll(/createdAt BETWEEN toDateTime64\('([^']+)', 3, 'UTC'\) AND toDateTime64\('([^']+)', 3, 'UTC'\)/g)].map((m) => ({
    from: fromClickHouseTime(m[1]),
    to: fromClickHouseTime(m[2]),
  }));

/** The ids a part of the statement splits from its one string literal. */
const idsOf = (part: string): string[] => {
  const literals = [...part.matchAll(/splitByChar\(',', '([^']*)'\)/g)];
  expect(literals).toHaveLength(1);
  return literals[0][1].split(',');
};

describe('duplicateCheckStatement', () => {
  it('writes every organization and id (lower-cased) into both tables’ conditions and binds no parameter', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { minLength: 1, maxLength: 50 }), (keys) => {
        const statement = duplicateCheckStatement(keys);
        expect(statement).not.toMatch(/\{[A-Za-z_]\w*:/);
        const [events, registry] = statement.split(' UNION ALL ');
        expect(events).toContain('FROM audit_events ');
        expect(registry).toContain('FROM audit_event_ids ');
        for (const part of [events, registry]) {
          for (const k of keys) expect(part).toContain(`'${k.organizationId}'`);
          expect(new Set(idsOf(part))).toEqual(new Set(keys.map((k) => k.id.toLowerCase())));
        }
      }),
    );
  });

  it('reads audit_events over ranges that cover every key’s createdAt, at most 16 of them', () => {
    fc.assert(
      fc.property(fc.array(keyArb, { minLength: 1, maxLength: 200 }), (keys) => {
        const ranges = rangesOf(duplicateCheckStatement(keys));
        expect(ranges.length).toBeGreaterThan(0);
        expect(ranges.length).toBeLessThanOrEqual(16);
        for (const k of keys) {
          const at = fromClickHouseTime(k.createdAt);
          expect(ranges.some((r) => r.from <= at && at <= r.to)).toBe(true);
        }
      }),
    );
  });

  it('refuses a key it cannot write as a literal: nothing of it reaches the text', () => {
    const quote = "org'); DROP TABLE audit_events; --";
    expect(() => duplicateCheckStatement([key(), key({ organizationId: quote })])).toThrow(UninlinableEventKeyError);
    expect(() => duplicateCheckStatement([key({ id: "0190a0b0-0000-7000-8000-00000000000'" })])).toThrow(new UninlinableEventKeyError('id'));
    expect(() => duplicateCheckStatement([key({ createdAt: "2026-11-20') OR 1 = 1 --" })])).toThrow(new UninlinableEventKeyError('createdAt'));
    fc.assert(
      fc.property(
        fc.string().filter((s) => !LIMITS.organizationIdPattern.test(s)),
        (organizationId) => {
          expect(() => duplicateCheckStatement([key({ organizationId })])).toThrow(new UninlinableEventKeyError('organizationId'));
        },
      ),
    );
  });

  it('takes one to DUPLICATE_CHECK_KEYS keys, and its settings admit the text of a full statement and the FORMAT clause the client appends', () => {
    expect(() => duplicateCheckStatement([])).toThrow(RangeError);
    const full = Array.from({ length: DUPLICATE_CHECK_KEYS }, (_, i) =>
      key({ id: `0190a0b0-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, organizationId: `org-${'x'.repeat(60)}`, createdAt: toClickHouseTime(new Date(Date.UTC(2026, 0, 1) + i * 3_600_000)) }),
    );
    const statement = duplicateCheckStatement(full);
    expect(Number(duplicateCheckSettings(statement).max_query_size)).toBeGreaterThanOrEqual(Buffer.byteLength(`${statement}\nFORMAT JSONEachRow`));
    // Never below ClickHouse's default: a small check must not lower the session's limit for what follows.
    expect(Number(duplicateCheckSettings(duplicateCheckStatement([key()])).max_query_size)).toBe(256 * 1024);
    expect(() => duplicateCheckStatement([...full, key()])).toThrow(RangeError);
  });
});
