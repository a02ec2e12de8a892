import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertSafeKey, StoredFileMissingError, type ExportStorage } from './export-storage';

/**
 * Export files in a local directory (`EXPORT_DIR`). Only the processes that see this directory can serve
 * downloads: with several replicas, mount one shared volume or use S3.
 */
export class LocalExportStorage implements ExportStorage {
  readonly kind = 'local' as const;

  constructor(private readonly dir: string) {}

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
