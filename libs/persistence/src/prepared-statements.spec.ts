import fc from 'fast-check';
import { isStalePreparedStatement, MAX_PREPARED_STATEMENTS, PreparedStatementNames } from './prepared-statements';

describe('PreparedStatementNames', () => {
  it('names a text the same every time, and different texts differently', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 50 }), (texts) => {
        const names = new PreparedStatementNames();
        const first = texts.map((t) => names.nameOf(t));
        expect(texts.map((t) => names.nameOf(t))).toEqual(first);
        expect(new Set(first).size).toBe(texts.length);
        // Derived from the text alone: another process (or instance) names it the same.
        expect(texts.map((t) => new PreparedStatementNames().nameOf(t))).toEqual(first);
        for (const name of first) expect(name).toMatch(/^r0_[0-9a-f]{32}$/);
      }),
    );
  });

  it('names at most `max` distinct texts; the ones named before the cap keep their names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 60 }), (max, texts) => {
        const names = new PreparedStatementNames(max);
        const given = texts.map((t) => names.nameOf(t));
        expect(given.filter((n) => n !== undefined)).toHaveLength(Math.min(max, texts.length));
        expect(given.slice(0, max).every((n) => n !== undefined)).toBe(true);
        expect(given.slice(max).every((n) => n === undefined)).toBe(true);
        expect(names.size).toBe(Math.min(max, texts.length));
        expect(texts.map((t) => names.nameOf(t))).toEqual(given);
      }),
    );
  });

  it('defaults to MAX_PREPARED_STATEMENTS', () => {
    const names = new PreparedStatementNames();
    for (let i = 0; i < MAX_PREPARED_STATEMENTS + 10; i++) names.nameOf(`SELECT ${i}`);
    expect(names.size).toBe(MAX_PREPARED_STATEMENTS);
    expect(names.nameOf('SELECT 0')).toBeDefined();
    expect(names.nameOf(`SELECT ${MAX_PREPARED_STATEMENTS}`)).toBeUndefined();
  });

  it('renames every text after renameAll, and names up to `max` texts again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 30 }), (max, texts) => {
        const names = new PreparedStatementNames(max);
        const before = texts.map((t) => names.nameOf(t));
        names.renameAll();
        expect(names.size).toBe(0);
        const after = texts.map((t) => names.nameOf(t));
        expect(after.filter((n) => n !== undefined)).toHaveLength(Math.min(max, texts.length));
        for (const name of after) if (name !== undefined) expect(before).not.toContain(name);
      }),
    );
  });

  it('tells the stale prepared statement error from others', () => {
    expect(isStalePreparedStatement({ code: '0A000', message: 'cached plan must not change result type' })).toBe(true);
    expect(isStalePreparedStatement({ code: '0A000', message: 'some other unsupported feature' })).toBe(false);
    expect(isStalePreparedStatement({ code: '22012', message: 'cached plan must not change result type' })).toBe(false);
    expect(isStalePreparedStatement(undefined)).toBe(false);
  });
});
