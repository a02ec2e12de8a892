import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@audit/platform';
import { openExportStorage } from './index';

describe('openExportStorage: EXPORT_DIR is checked at start', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(path.join(tmpdir(), 'export-dir-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fails the start naming EXPORT_DIR when it is a regular file, where the exporter started and every job failed', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    await expect(openExportStorage({ kind: 'local', dir: file })).rejects.toThrow(ConfigError);
    await expect(openExportStorage({ kind: 'local', dir: file })).rejects.toThrow(/EXPORT_DIR must be a writable directory \(.*a-file: it or a parent is not a directory\)/);
  });

  it('fails the start naming EXPORT_DIR when a parent of it is a regular file', async () => {
    const file = path.join(root, 'parent-file');
    writeFileSync(file, '');
    await expect(openExportStorage({ kind: 'local', dir: path.join(file, 'exports') })).rejects.toThrow(/EXPORT_DIR must be a writable directory/);
  });

  it('makes a missing directory and leaves no probe file in it', async () => {
    const dir = path.join(root, 'new', 'exports');
    const storage = await openExportStorage({ kind: 'local', dir });
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(storage.kind).toBe('local');
  });
});
