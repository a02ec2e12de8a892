import fc from 'fast-check';
import { ACTION_FORMATS } from './action-formats';
import { escapeCefHeader, escapeCefValue, toCef } from './cef';
import { auditEventArbitrary, hostileText } from './event-arbitrary.fixture';
import { userAgent } from './event-text';
import { sampleEvents } from './sample-events.fixture';

/**
 * A small CEF reader, as a receiver would write one from the spec: the header is seven `|`-separated fields
 * after `CEF:0` (`\|` and `\\` escaped); the extension is `key=value` pairs separated by spaces, where a
 * value runs to the space before the next unescaped `=`'s key, with `\=`, `\\`, `\n` and `\r` escaped.
 */
function parseCef(line: string): { header: string[]; extension: Array<[string, string]> } {
  const header: string[] = [];
  let field = '';
  let i = 0;
  const unescape = (c: string): string => (c === 'n' ? '\n' : c === 'r' ? '\r' : c);
  while (header.length < 7) {
    const c = line[i];
    if (c === undefined) throw new Error('header ends early');
    if (c === '\\') {
      field += unescape(line[i + 1]);
      i += 2;
    } else if (c === '|') {
      header.push(field);
      field = '';
      i++;
    } else {
      field += c;
      i++;
    }
  }
  const rest = line.slice(i);
  // Positions of the unescaped `=` signs: each ends a key.
  const equals: number[] = [];
  for (let j = 0; j < rest.length; j++) {
    if (rest[j] === '\\') j++;
    else if (rest[j] === '=') equals.push(j);
  }
  const extension: Array<[string, string]> = [];
  let keyStart = 0;
  equals.forEach((eq, k) => {
    const key = rest.slice(keyStart, eq);
    expect(key).toMatch(/^[A-Za-z0-9]+$/);
    const valueEnd = k + 1 < equals.length ? rest.lastIndexOf(' ', equals[k + 1]) : rest.length;
    const raw = rest.slice(eq + 1, valueEnd);
    extension.push([key, raw.replace(/\\(.)/g, (_m, c: string) => unescape(c))]);
    keyStart = valueEnd + 1;
  });
  return { header, extension };
}

describe('CEF', () => {
  it('escapes header fields per the spec (backslash and pipe) and extension values (backslash, equals, line breaks)', () => {
    expect(escapeCefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(escapeCefValue('a=b\\c\nd\re|f')).toBe('a\\=b\\\\c\\nd\\re|f');
    expect(escapeCefValue('plain text')).toBe('plain text');
  });

  it('any event is one line that a CEF reader splits back into the same header and values', () => {
    fc.assert(
      fc.property(auditEventArbitrary, (event) => {
        const line = toCef(event);
        expect(line).not.toMatch(/[\r\n]/);
        const { header, extension } = parseCef(line);
        const format = ACTION_FORMATS[event.actionType];
        expect(header).toEqual(['CEF:0', 'Audit trail', 'Audit trail', '1', event.actionType, format.title, String(format.severity)]);
        const values = new Map(extension);
        expect(extension.length).toBe(values.size);
        expect(values.get('externalId')).toBe(event.id);
        expect(values.get('act')).toBe(event.actionType);
        expect(values.get('rt')).toBe(String(Date.parse(event.createdAt)));
        expect(values.get('suid')).toBe(event.userId ?? undefined);
        expect(values.get('suser')).toBe(event.user?.userName);
        expect(values.get('cs5')).toBe(event.user?.email);
        expect(values.get('src') ?? values.get('c6a2')).toBe(event.ipAddress ?? undefined);
        expect(values.get('cs1')).toBe(event.organizationId);
        expect(values.get('cs2')).toBe(event.pageName ?? undefined);
        expect(values.get('cs3')).toBe(event.queryName ?? undefined);
        expect(values.get('cs4')).toBe(event.resourceName ?? undefined);
        expect(values.get('cn1')).toBe(event.responseTimeMs === null ? undefined : String(event.responseTimeMs));
        const metadata = values.get('cs6');
        expect(metadata === undefined ? {} : JSON.parse(metadata)).toEqual(event.metadata);
        const target = event.metadata.targetUser;
        expect(values.get('duser')).toBe(typeof target === 'string' && target !== '' ? target : undefined);
        expect(values.get('requestClientApplication')).toBe(userAgent(event));
      }),
      { numRuns: 500 },
    );
  });

  it('reads back header text with pipes, backslashes and line breaks', () => {
    fc.assert(
      fc.property(fc.array(hostileText(), { minLength: 7, maxLength: 7 }), (fields) => {
        expect(parseCef(`${fields.map(escapeCefHeader).join('|')}|`).header).toEqual(fields);
      }),
    );
  });

  it('puts IPv6 sources in c6a2, as CEF has no IPv6 src', () => {
    const { extension } = parseCef(toCef(sampleEvents()[4]));
    expect(new Map(extension).get('c6a2')).toBe('2001:db8::42');
    expect(new Map(extension).has('src')).toBe(false);
  });
});
