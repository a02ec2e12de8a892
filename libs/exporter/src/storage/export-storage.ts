import type { Readable } from 'node:stream';

/** Raised when a stored export file is not there (removed, or never completed). */
export class StoredFileMissingError extends Error {
  constructor(key: string) {
    super(`export file ${key} does not exist`);
    this.name = 'StoredFileMissingError';
  }
}

/**
 * Where export files live. `write` makes the object visible only once it is complete (a reader never sees
 * half a file), `read` streams it back, `remove` is idempotent.
 */
export interface ExportStorage {
  readonly kind: 'local' | 's3';
  /** Streams `body` into `key`; resolves with the stored size once the object is complete. */
  write(key: string, body: Readable): Promise<{ sizeBytes: number }>;
  /** The object's bytes; throws {@link StoredFileMissingError} when it is not there. */
  read(key: string): Promise<Readable>;
  remove(key: string): Promise<void>;
  /** Removes the leftovers of an interrupted write of `key` (a crashed worker's partial file or upload). */
  removePartial(key: string): Promise<void>;
}

export const EXPORT_STORAGE = Symbol('EXPORT_STORAGE');

/** Keys are built by the worker (`<org>/<job id>-<attempt>.<csv|jsonl|bundle>.gz`); refusing anything else keeps paths inside the store. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}\/[0-9a-f-]{36}-\d+\.(csv|jsonl|bundle)\.gz$/.test(key)) throw new Error(`not an export storage key: ${key}`);
}
