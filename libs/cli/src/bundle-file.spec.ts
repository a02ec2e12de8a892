import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleHeaderLine, generateNoteKey, parseVerifierKey, proofLine } from '@audit/transparency';
import { verifyBundleFile } from './bundle-file';

describe('verifyBundleFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bundle-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = parseVerifierKey(generateNoteKey('audit.test').verifierKey);
  const empty = bundleHeaderLine('acme', null) + proofLine([], []);

  it('judges a gzip stream that breaks off as cut short, without throwing', async () => {
    const file = path.join(dir, 'cut.bundle.gz');
    const whole = gzipSync(empty);
    writeFileSync(file, Buffer.concat([whole.subarray(0, whole.length - 12), Buffer.from('garbage')]));
    const report = await verifyBundleFile(file, [key]);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.reasons.join()).join('\n')).toMatch(/not JSON|cut short/);
  });

  it("verifies an empty bundle that is whole, plain or gzip'd, and not one cut before its last newline", async () => {
    for (const [name, bytes, ok] of [
      ['plain.bundle', Buffer.from(empty), true],
      ['zipped.bundle.gz', gzipSync(empty), true],
      ['cut.bundle', Buffer.from(empty.slice(0, -1)), false],
    ] as const) {
      writeFileSync(path.join(dir, name), bytes);
      const report = await verifyBundleFile(path.join(dir, name), [key]);
      expect({ name, ok: report.ok, failed: report.counts.failed }).toEqual({ name, ok, failed: ok ? 0 : 1 });
    }
  });
});
