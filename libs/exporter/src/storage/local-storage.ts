import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError } from '@audit/platform';
import { assertSafeKey, StoredFileMissingError, type ExportStorage } from './export-storage';

/**
 * Export files in a local directory (`EXPORT_DIR`). Only the processes that see this directory can serve
 * downloads: with several replicas, mount one shared volume or use S3.
 */
export class LocalExportStorage implements ExportStorage {
  readonly kind = 'local' as const;

  constructor(private readonly dir: string) {}

  /**
   * Fails the start, naming EXPORT_DIR, unless the directory exists (made when missing) and a file can be
   * written in it: a regular file or an unwritable directory there let the service start and every job
   * fail later. Writing a probe is the one test that holds for root, read-only mounts and ACLs alike.
   */
  async assertWritable(): Promise<void> {
    const probe = path.join(this.dir, `.write-check-${process.pid}`);
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(probe, '');
      await rm(probe, { force: true });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ConfigError([`EXPORT_DIR must be a writable directory (${path.resolve(this.dir)}: ${describe(reason)})`]);
    }
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.resolve(this.dir, key);
  }

  async write(key: string, body: Readable): Promise<{ sizeBytes: number }> {
    const file = this.pathOf(key);
    const partial = `${file}.partial`;
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await pipeline(body, createWriteStream(partial));
      // The rename is atomic: the final name only ever names a complete file.
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { sizeBytes: (await stat(file)).size };
  }

  async read(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      await stat(file);
    } catch {
      throw new StoredFileMissingError(key);
    }
    return createReadStream(file);
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removePartial(key: string): Promise<void> {
    await rm(`${this.pathOf(key)}.partial`, { force: true });
  }
}

/** The errors a directory that cannot take files gives, as people read them. */
function describe(code: string): string {
  switch (code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return 'it or a parent is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'no permission to write there';
    case 'EROFS':
      return 'a read-only file system';
    default:
      return code;
  }
}
