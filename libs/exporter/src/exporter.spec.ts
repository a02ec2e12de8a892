import { Readable } from 'node:stream';
import { ConfigError } from '@audit/platform';
import { readExporterConfig } from './config';
import { CsvRecordTransform } from './csv-records';
import { exportCopyQuery, sqlLiteral } from './export-query';
import { linkSecret } from './link-secret';
import { LinkSigner } from './link-signer';

const through = async (chunks: string[]): Promise<{ out: string; records: number }> => {
  const transform = new CsvRecordTransform();
  const parts: Buffer[] = [];
  for await (const chunk of Readable.from(chunks.map((c) => Buffer.from(c))).pipe(transform)) parts.push(chunk as Buffer);
  return { out: Buffer.concat(parts).toString(), records: transform.records };
};

describe('CSV records (LF → CRLF, counting)', () => {
  it('ends records with CRLF and leaves line breaks inside quoted cells alone, across chunk boundaries', async () => {
    const csv = 'a,b\n1,"x\ny"\n2,"say ""hi""\n"\n';
    // Every split point: the quote state must carry over from one chunk to the next.
    for (let at = 0; at <= csv.length; at++) {
      const { out, records } = await through([csv.slice(0, at), csv.slice(at)]);
      expect(out).toBe('a,b\r\n1,"x\ny"\r\n2,"say ""hi""\n"\r\n');
      expect(records).toBe(3);
    }
  });
});

describe('CSV records against a byte-by-byte reference', () => {
  /** The obvious implementation: look at every byte. */
  const reference = (text: string): { out: string; records: number } => {
    let quoted = false;
    let records = 0;
    let out = '';
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (ch === '\n' && !quoted) {
        records++;
        out += '\r';
      }
      out += ch;
    }
    return { out, records };
  };

  it('agrees on random quote and line-feed soup cut into random chunks', async () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['"', '"', '\n', ',', 'a', 'Z', 'ü'];
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: 1 + random(80) }, () => alphabet[random(alphabet.length)]).join('');
      const cuts = [...new Set(Array.from({ length: random(5) }, () => random(text.length + 1)))].sort((a, b) => a - b);
      const chunks = [0, ...cuts].map((from, i) => text.slice(from, [...cuts, text.length][i]));
      expect(await through(chunks)).toEqual(reference(text));
    }
  });
});

describe('export query', () => {
  it('inlines only literals it can render safely', () => {
    expect(sqlLiteral("it's")).toBe("('it''s')");
    expect(sqlLiteral('back\\slash')).toBe("( E'back\\\\slash')");
    expect(sqlLiteral(new Date('2026-01-02T03:04:05.006Z'))).toBe("('2026-01-02T03:04:05.006Z'::timestamptz)");
    expect(sqlLiteral(['LOGIN', "x'y"])).toBe("(ARRAY[('LOGIN'), ('x''y')]::text[])");
    expect(() => sqlLiteral({ toString: () => "'; DROP TABLE x; --" })).toThrow();
    expect(() => sqlLiteral(Number.NaN)).toThrow();
    expect(() => sqlLiteral('nul\u0000')).toThrow();
  });

  it('never re-reads an inlined value as SQL: a "$2" inside a value stays text', () => {
    const sql = exportCopyQuery('acme', { actionTypes: [], userId: '$2', pageName: "'); DROP TABLE audit_trail_events; --" });
    expect(sql).toContain(`a."userId" = ('$2')`);
    expect(sql).toContain(`a."pageName" = ('''); DROP TABLE audit_trail_events; --')`);
    expect(sql).toMatch(/^COPY \(SELECT /);
    expect(sql).toMatch(/TO STDOUT WITH \(FORMAT csv, HEADER\)$/);
  });
});

describe('download links', () => {
  const signer = new LinkSigner(new TextEncoder().encode('a-secret-of-at-least-thirty-two-characters'));
  const id = '0190a0b0-0000-7000-8000-000000000001';

  it('accepts its own links until they expire, and nothing else', () => {
    const expires = 2_000_000_000;
    const signature = signer.sign(id, expires);
    expect(signer.check(id, String(expires), signature, expires * 1000 - 1)).toBe('valid');
    expect(signer.check(id, String(expires), signature, expires * 1000)).toBe('expired');
    expect(signer.check(id, String(expires + 1), signature, 0)).toBe('tampered');
    expect(signer.check('0190a0b0-0000-7000-8000-000000000002', String(expires), signature, 0)).toBe('tampered');
    expect(signer.check(id, String(expires), signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), 0)).toBe('tampered');
    expect(signer.check(id, undefined, signature, 0)).toBe('tampered');
    expect(signer.check(id, String(expires), ['a', 'b'], 0)).toBe('tampered');
    expect(signer.url(id, expires)).toBe(`/v1/exports/${id}/download?expires=${expires}&signature=${signature}`);
  });

  it('falls back to the token secret and refuses to start without any secret', () => {
    const tokenSecret = new TextEncoder().encode('token-secret');
    const own = 'export-link-secret-0123456789-abcdef';
    expect(linkSecret({ jwtSecret: tokenSecret }, readExporterConfig({}))).toBe(tokenSecret);
    expect(linkSecret({ jwtSecret: tokenSecret }, readExporterConfig({ EXPORT_LINK_SECRET: ` ${own} ` }))).toEqual(new TextEncoder().encode(own));
    expect(() => linkSecret({}, readExporterConfig({}))).toThrow(/EXPORT_LINK_SECRET/);
    expect(() => readExporterConfig({ EXPORT_LINK_SECRET: 'short' })).toThrow(ConfigError);
  });
});

describe('configuration', () => {
  it('names each bad exporter variable', () => {
    let problems: readonly string[] = [];
    try {
      readExporterConfig({ EXPORT_LINK_TTL_SECONDS: '0', EXPORT_S3_BUCKET: 'b', EXPORT_S3_ACCESS_KEY_ID: 'k', EXPORT_FILE_TTL: 'a day' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toHaveLength(3);
    for (const name of ['EXPORT_LINK_TTL_SECONDS', 'EXPORT_S3_SECRET_ACCESS_KEY', 'EXPORT_FILE_TTL']) expect(problems.join('\n')).toContain(name);
  });

  it('refuses poll and sweep intervals a timer cannot wait (30d polled Postgres every millisecond), and keeps a 30-day file TTL', () => {
    expect(() => readExporterConfig({ EXPORT_POLL_INTERVAL: '30d' })).toThrow(/EXPORT_POLL_INTERVAL/);
    expect(() => readExporterConfig({ EXPORT_SWEEP_INTERVAL: '30d' })).toThrow(/EXPORT_SWEEP_INTERVAL/);
    expect(readExporterConfig({ EXPORT_FILE_TTL: '30d' }).fileTtlMs).toBe(30 * 86_400_000);
  });
});
