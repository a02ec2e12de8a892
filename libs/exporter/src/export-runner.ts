import { pipeline, type Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import { eventFilterFromJson } from '@audit/query';
import { Database } from '@audit/persistence';
import { CsvRecordTransform } from './csv-records';
import { LineRecordTransform } from './line-records';
import type { ExportJob } from './export-jobs.repository';
import { exportCopyQuery, exportCountQuery } from './export-query';
import type { ExportStorage } from './storage';

export interface ExportProgress {
  rowCount: number;
  totalRows: number;
}

export interface RunningExport {
  /** Rows written so far and the total counted before the copy started. */
  progress(): ExportProgress;
  /** Stops the export; `done` then rejects with `reason`, and nothing is left in storage. */
  abort(reason: Error): void;
  /** Resolves once the gzip'd file is complete in storage. */
  done: Promise<{ rowCount: number; sizeBytes: number }>;
}

/** Where a job's file lives: one object per attempt, so an attempt presumed dead can never overwrite the next one's file. */
export const storageKeyOf = (job: Pick<ExportJob, 'organizationId' | 'id' | 'format'>, attempt: number): string => `${job.organizationId}/${job.id}-${attempt}.${job.format}.gz`;

/**
 * Streams one job's rows out of Postgres into storage: `COPY … TO STDOUT` (CSV made and neutralised by
 * Postgres, or JSON lines) → row counting (and CRLF for CSV) → gzip → storage. Memory stays bounded by the streams' buffers whatever
 * the size: the storage write pulls, and COPY is paused while it does not.
 */
export async function startExport(db: Database, storage: ExportStorage, job: ExportJob, attempt: number, gzipLevel: number): Promise<RunningExport> {
  const filter = eventFilterFromJson(job.filters);
  let totalRows = 0;
  let records: CsvRecordTransform | LineRecordTransform | undefined;
  // A CSV's first record is its header; JSON lines have none.
  const headerRecords = job.format === 'csv' ? 1 : 0;
  let copy: Readable | undefined;
  let failure: Error | undefined;
  let started!: () => void;
  const copying = new Promise<void>((resolve) => (started = resolve));
  // The gateway lends the connection for the whole export; a failed one (perhaps mid-COPY) is discarded, not pooled.
  const done = db.withClient(async (client) => {
    // One snapshot for the count and the copy, so the progress total is the exact row count.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const count = exportCountQuery(job.organizationId, filter);
    totalRows = Number((await client.query<{ n: string }>(count.text, count.values)).rows[0].n);
    const csv = (records = job.format === 'csv' ? new CsvRecordTransform() : new LineRecordTransform());
    copy = client.query(copyTo(exportCopyQuery(job.organizationId, filter, job.format)));
    const body = pipeline(copy, csv, createGzip({ level: gzipLevel }), (error) => {
      if (error) failure ??= error;
    });
    started();
    const { sizeBytes } = await storage.write(storageKeyOf(job, attempt), body);
    if (failure) throw failure;
    await client.query('COMMIT');
    return { rowCount: Math.max(0, csv.records - headerRecords), sizeBytes };
  });
  // Resolves once the copy runs; rejects when the count (or taking a connection) failed before it.
  await Promise.race([copying, done]);
  const rowCount = (): number => Math.max(0, (records?.records ?? 0) - headerRecords);
  return {
    progress: () => ({ rowCount: rowCount(), totalRows }),
    abort: (reason) => {
      failure ??= reason;
      copy?.destroy(reason);
    },
    done: done.catch((error: unknown) => {
      throw failure ?? error;
    }),
  };
}
