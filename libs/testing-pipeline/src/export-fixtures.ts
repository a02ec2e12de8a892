import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { StoredFileMissingError, type ExportFormat, type ExportJob, type ExportStorage } from '@audit/exporter';

/**
 * Export storage in memory, for specs that run `startExport` and read what it wrote. It keeps the
 * contract of ExportStorage: an object is visible only once its whole body was read (a failed copy leaves
 * nothing), `read` of a missing key throws StoredFileMissingError, `remove` is idempotent.
 */
export class MemoryExportStorage implements ExportStorage {
  readonly kind = 'local' as const;
  /** Every complete object, by key. */
  readonly objects = new Map<string, Buffer>();

  /** `onFirstChunk` runs once a write is streaming (a spec that breaks the copy mid-way waits for it). */
  constructor(private readonly onFirstChunk: () => Promise<void> = async () => undefined) {}

  async write(key: string, body: Readable): Promise<{ sizeBytes: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      if (chunks.length === 0) await this.onFirstChunk();
      chunks.push(chunk as Buffer);
    }
    const object = Buffer.concat(chunks);
    this.objects.set(key, object);
    return { sizeBytes: object.length };
  }

  async read(key: string): Promise<Readable> {
    const object = this.objects.get(key);
    if (object === undefined) throw new StoredFileMissingError(key);
    return Readable.from([object]);
  }

  async remove(key: string): Promise<void> {
    this.objects.delete(key);
  }

  /** Nothing to do: a write that did not complete kept nothing. */
  async removePartial(): Promise<void> {
    return undefined;
  }

  /** The only object written (most specs run one export per storage). */
  only(): Buffer {
    if (this.objects.size !== 1) throw new Error(`expected one export object, found ${this.objects.size}`);
    return [...this.objects.values()][0];
  }
}

/** An export job as the worker holds it once claimed (status running, first attempt), for `startExport`. */
export function runningExportJob(organizationId: string, window: { from: Date; to: Date }, format: ExportFormat = 'csv'): ExportJob {
  return {
    id: randomUUID(),
    organizationId,
    requestedBy: null,
    filters: { from: window.from.toISOString(), to: window.to.toISOString() },
    format,
    status: 'running',
    rowCount: 0,
    totalRows: null,
    sizeBytes: null,
    progress: 0,
    storageKey: null,
    error: null,
    attempts: 1,
    lockedBy: 'test',
    heartbeatAt: null,
    createdAt: new Date(),
    startedAt: null,
    finishedAt: null,
    expiresAt: null,
  };
}
