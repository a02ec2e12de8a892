import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { generateNoteKey, parseVerifierKey } from '@audit/transparency';
import { linesOf, verifyBundleFile } from './bundle-file';

async function collect(chunks: Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for await (const line of linesOf(Readable.from(chunks))) out.push(line);
  return out;
}

describe('linesOf', () => {
  it('gives the same lines however the bytes are cut into chunks (multi-byte characters split too)', async () => {
    const line = fc.string({ unit: fc.constantFrom('a', '{', '"', 'é', '😀', '\u2028', ' '), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 8 }), fc.boolean(), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (lines, crlf, trailing, cuts) => {
        const text = lines.join(crlf ? '\r\n' : '\n') + (trailing && lines.length > 0 ? '\n' : '');
        const bytes = Buffer.from(text);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => bytes.subarray(from, i < at.length ? at[i] : bytes.length));
        const expected = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
        expect(await collect(chunks)).toEqual(expected);
      }),
    );
  });
});

describe('verifyBundleFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = parseVerifierKey(generateNoteKey('audit.test').verifierKey);

  it('judges a gzip stream that breaks off as cut short, without throwing', async () => {
    const file = path.join(dir, 'cut.bundle.gz');
    const whole = gzipSync(`${JSON.stringify({ bundle: 1, organizationId: 'acme', checkpoint: null })}\n${JSON.stringify({ proof: [] })}\n`);
    writeFileSync(file, Buffer.concat([whole.subarray(0, whole.length - 12), Buffer.from('garbage')]));
    const report = await verifyBundleFile(file, [key]);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.reasons.join()).join('\n')).toMatch(/not JSON|cut short/);
  });

  it('verifies an empty bundle that is whole, plain or gzip\'d', async () => {
    const text = `${JSON.stringify({ bundle: 1, organizationId: 'acme', checkpoint: null })}\n${JSON.stringify({ proof: [] })}\n`;
    for (const [name, bytes] of [
      ['plain.bundle', Buffer.from(text)],
      ['zipped.bundle.gz', gzipSync(text)],
    ] as const) {
      writeFileSync(path.join(dir, name), bytes);
      const report = await verifyBundleFile(path.join(dir, name), [key]);
      expect(report).toMatchObject({ ok: true, counts: { verified: 0, failed: 0 } });
    }
  });
});
