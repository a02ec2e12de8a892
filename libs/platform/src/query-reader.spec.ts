import fc from 'fast-check';
import { AppError } from './errors';
import { QueryReader } from './query-reader';

/** What ClickHouse reads back as a DateTime64 query parameter: an unsigned four-digit year. */
const STORABLE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Date-times the ISO parser accepts, across the whole of years 0000-9999 and every zone offset. */
const isoDateTime = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 9998, 9999)),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    zone: fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([s, h, m]) => `${s}${pad(h, 2)}:${pad(m, 2)}`)),
  })
  .map(({ year, month, day, hour, minute, zone }) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}${zone}`);

/** The window read from a query, or the parameters its refusal names. */
function read(query: Record<string, string>, shape: 'window' | 'bounds'): { from?: Date; to?: Date } | { refused: string[] } {
  const q = new QueryReader(query, ['from', 'to']);
  const window = shape === 'window' ? q.window(400 * 86_400_000, new Date('2026-12-07T12:00:00Z')) : q.bounds();
  try {
    q.done();
    return window;
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'VALIDATION_FAILED') throw error;
    return { refused: (error.details as Array<{ path: string }>).map((d) => d.path) };
  }
}

describe('QueryReader time bounds', () => {
  it.each(['window', 'bounds'] as const)(
    'for any from/to the ISO parser accepts, %s either names the bad one or gives instants of years 0000-9999 (never a signed or five-digit year)',
    (shape) => {
      fc.assert(
        fc.property(fc.option(isoDateTime, { nil: undefined }), fc.option(isoDateTime, { nil: undefined }), (from, to) => {
          const query: Record<string, string> = {};
          if (from !== undefined) query.from = from;
          if (to !== undefined) query.to = to;
          const result = read(query, shape);
          if ('refused' in result) {
            expect(result.refused.length).toBeGreaterThan(0);
            for (const path of result.refused) expect(['from', 'to']).toContain(path);
            return;
          }
          for (const instant of [result.from, result.to]) if (instant !== undefined) expect(instant.toISOString()).toMatch(STORABLE);
        }),
        { numRuns: 2000, examples: [[undefined, '0000-01-01T00:00Z'], ['0000-01-01T00:00+01:00', '0000-01-02T00:00Z'], ['9999-12-31T00:00Z', '9999-12-31T23:00-14:00']] },
      );
    },
  );

  it('refuses an instant before year 0000 in UTC, naming it, rather than pass it on to the stores', () => {
    expect(read({ from: '0000-01-01T00:00:00+01:00', to: '0000-01-02T00:00:00Z' }, 'window')).toEqual({ refused: ['from'] });
    expect(read({ to: '9999-12-31T23:00:00-14:00' }, 'bounds')).toEqual({ refused: ['to'] });
  });

  it('starts the default window of a "to" in year 0000 at that year\'s first instant', () => {
    expect(read({ to: '0000-01-01T06:00:00Z' }, 'window')).toEqual({ from: new Date('0000-01-01T00:00:00Z'), to: new Date('0000-01-01T06:00:00Z') });
  });
});

describe('QueryReader.text', () => {
  it('for any value, either names the parameter or gives text every store holds unchanged (no NUL, no lone surrogate)', () => {
    const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('\ud800', 'a\udc00', 'u\u0000')), (value) => {
        const q = new QueryReader({ userId: value }, ['userId']);
        const text = q.text('userId');
        let refused: string[] = [];
        try {
          q.done();
        } catch (error) {
          refused = ((error as AppError).details as Array<{ path: string }>).map((d) => d.path);
        }
        if (text === undefined) expect(refused).toEqual(['userId']);
        else expect(!text.includes('\u0000') && isWellFormed.call(text)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
