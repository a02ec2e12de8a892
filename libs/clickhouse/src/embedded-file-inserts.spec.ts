import fc from 'fast-check';
import { clickHouseString, insertFromFileStatement } from './embedded-file-inserts';

const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);

describe('insertFromFileStatement', () => {
  it("reads the file with the insert's own table, columns and format", () => {
    fc.assert(
      fc.property(identifier, fc.array(identifier, { maxLength: 6 }), fc.constantFrom('TabSeparated', 'JSONEachRow', 'RowBinary'), fc.string(), (table, columns, format, file) => {
        const columnsPart = columns.length > 0 ? ` (${columns.join(', ')})` : '';
        expect(insertFromFileStatement(`INSERT INTO ${table}${columnsPart} FORMAT ${format}`, file)).toBe(
          `INSERT INTO ${table}${columnsPart} SELECT * FROM file(${clickHouseString(file)}, '${format}')`,
        );
      }),
    );
  });

  it('leaves any other statement alone', () => {
    expect(insertFromFileStatement('SELECT 1', '/x')).toBeUndefined();
    expect(insertFromFileStatement('INSERT INTO t SELECT * FROM u', '/x')).toBeUndefined();
    expect(insertFromFileStatement("INSERT INTO t FORMAT TabSeparated\n1\t'a'", '/x')).toBeUndefined();
  });
});

describe('clickHouseString', () => {
  it('quotes any text so that it cannot end the literal early', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const literal = clickHouseString(text);
        // Every quote inside is escaped by an odd run of backslashes; the literal's own quotes are its ends.
        const inner = literal.slice(1, -1);
        for (let i = inner.indexOf("'"); i !== -1; i = inner.indexOf("'", i + 1)) {
          let backslashes = 0;
          while (inner[i - 1 - backslashes] === '\\') backslashes++;
          expect(backslashes % 2).toBe(1);
        }
        expect(literal.startsWith("'") && literal.endsWith("'")).toBe(true);
      }),
    );
  });
});
