import fc from 'fast-check';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clickHouseString, insertFilesDirectory, insertFromFileStatement } from './embedded-file-inserts';

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

describe('insertFilesDirectory', () => {
  let parent: string;
  beforeEach(() => {
    parent = mkdtempSync(path.join(tmpdir(), 'insert-files-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it("removes what processes that are gone left beside the data directory, and nothing else's", () => {
    // Above Linux's PID_MAX_LIMIT (2^22): no process can have it.
    const gone = 2 ** 22 + 1;
    const dataPath = path.join(parent, 'data');
    const left = path.join(parent, `.data-inserts-${gone}-abc123`);
    mkdirSync(left);
    writeFileSync(path.join(left, '0'), 'rows of a batch');
    const running = path.join(parent, `.data-inserts-${process.pid}-def456`);
    mkdirSync(running);
    const otherData = path.join(parent, `.other-inserts-${gone}-ghi789`);
    mkdirSync(otherData);

    const own = insertFilesDirectory(dataPath);

    expect(existsSync(left)).toBe(false);
    expect(existsSync(running)).toBe(true);
    expect(existsSync(otherData)).toBe(true);
    expect(path.basename(own)).toMatch(new RegExp(`^\\.data-inserts-${process.pid}-`));
    expect(readdirSync(parent).sort()).toEqual([path.basename(own), path.basename(otherData), path.basename(running)].sort());
  });
});
