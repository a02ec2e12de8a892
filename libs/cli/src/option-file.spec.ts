import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateNoteKey } from '@audit/transparency';
import type { CliIo } from './cli-context';
import { readOptionFile } from './option-file';
import { UsageError } from './output';
import { runCli } from './run-cli';

/** Runs the CLI with nothing to bring up: a command that reads its file first stops there. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = { stdout: () => undefined, stderr: (t) => (stderr += t) };
  const code = await runCli(argv, { io, prepare: async () => async () => undefined });
  return { code, stderr };
}

describe('files named by an option', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'option-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateNoteKey('audit-trail').verifierKey;

  it('a streams file or a checkpoint too large to be one is refused (exit 2) naming the option, before it fills the memory', async () => {
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, 16 * 2 ** 20 + 1);
    const apply = await cli(['streams', 'apply', '--org', 'acme', '-f', big]);
    expect(apply).toEqual({ code: 2, stderr: expect.stringContaining(`error: -f ${big}: larger than 16 MiB, more than such a file holds`) });
    const log = await cli(['verify', 'log', '--org', 'acme', '--key', key, '--checkpoint', big]);
    expect(log).toEqual({ code: 2, stderr: expect.stringContaining(`error: --checkpoint ${big}: larger than 1 MiB`) });
  });

  it('a device that never ends is refused as well (it grew to 17 GB and crashed)', async () => {
    await expect(readOptionFile('-f', '/dev/zero', 1024)).rejects.toThrow(new UsageError('-f /dev/zero: larger than 1024 bytes, more than such a file holds'));
  });

  it('verify export of a directory is a usage error (exit 2), not a failed bundle (exit 1)', async () => {
    const run = await cli(['verify', 'export', dir, '--key', key]);
    expect(run).toEqual({ code: 2, stderr: expect.stringContaining(`error: ${dir}: a directory, not a file`) });
  });

  it('says why a path cannot be read, and reads a file of exactly the limit', async () => {
    await expect(readOptionFile('-f', path.join(dir, 'none.yaml'), 10)).rejects.toThrow('-f ' + path.join(dir, 'none.yaml') + ': no such file');
    await expect(readOptionFile('-f', dir, 10)).rejects.toThrow(`-f ${dir}: a directory, not a file`);
    const exact = path.join(dir, 'exact.yaml');
    writeFileSync(exact, 'streams: []');
    await expect(readOptionFile('-f', exact, 11)).resolves.toBe('streams: []');
    await expect(readOptionFile('-f', exact, 10)).rejects.toThrow(UsageError);
  });
});
