import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import { eventFilterFromJson } from '@audit/query';
import { Database } from '@audit/persistence';
import { CsvRecordTransform } from './csv-records';
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
  /** Resolves once the gzip'd CSV is complete in storage. */
  done: Promise<{ rowCount: number; sizeBytes: number }>;
}

/** Where a job's file lives: one object per attempt, so an attempt presumed dead can never overwrite the next one's file. */
export const storageKeyOf = (job: Pick<ExportJob, 'organizationId' | 'id'>, attempt: number): string => `${job.organizationId}/${job.id}-${attempt}.csv.gz`;

/**
 * Streams one job's rows out of Postgres into storage: `COPY … TO STDOUT` (CSV made and neutralised by
 * Postgres) → CRLF and row counting → gzip → storage. Memory stays bounded by the streams' buffers whatever
 * the size: the storage write pulls, and COPY is paused while it does not.
 */
export async function startExport(db: Database, storage: ExportStorage, job: ExportJob, attempt: number, gzipLevel: number): Promise<RunningExport> {
  const filter = eventFilterFromJson(job.filters);
  const client = await db.pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  let released = false;
  const finish = (error: Error | undefined): void => {
    if (released) return;
    released = true;
    client.off('error', onError);
    client.release(error ?? undefined);
  };
  let totalRows = 0;
  try {
    // One snapshot for the count and the copy, so the progress total is the exact row count.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const count = exportCountQuery(job.organizationId, filter);
    totalRows = Number((await client.query<{ n: string }>(count.text, count.values)).rows[0].n);
  } catch (error) {
    finish(error as Error);
    throw error;
  }

  const records = new CsvRecordTransform();
  const copy = client.query(copyTo(exportCopyQuery(job.organizationId, filter)));
  let failure: Error | undefined;
  const body = pipeline(copy, records, createGzip({ level: gzipLevel }), (error) => {
    if (error) failure ??= error;
  });
  const done = (async () => {
    try {
      const { sizeBytes } = await storage.write(storageKeyOf(job, attempt), body);
      if (failure) throw failure;
      await client.query('COMMIT');
      finish(broken);
      return { rowCount: Math.max(0, records.records - 1), sizeBytes };
    } catch (error) {
      // The connection may be mid-COPY: it is discarded rather than returned to the pool.
      finish((failure ?? error) as Error);
      throw failure ?? error;
    }
  })();
  return {
    progress: () => ({ rowCount: Math.max(0, records.records - 1), totalRows }),
    abort: (reason) => {
      failure ??= reason;
      copy.destroy(reason);
    },
    done,
  };
}
