import { pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import { eventFilterFromJson } from '@audit/event-filter';
import { Database, TransparencyLogRepository } from '@audit/persistence';
import { BUNDLE_RANGE_LEAVES, bundleHeaderLine, multiInclusionProof, openingText, rangeHashes, pendingEventLine, proofLine, sealedEventLine, type ContentField } from '@audit/transparency';
import type { PoolClient } from 'pg';
import { CsvRecordTransform } from './csv-records';
import { LineRecordTransform } from './line-records';
import type { ExportJob } from './export-jobs.repository';
import { exportBundleQuery, exportCopyQuery, exportCountQuery } from './export-query';
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
  // A CSV's first record is its header; a bundle's first line is its header and its last the proof; JSON lines have none.
  const headerRecords = job.format === 'csv' ? 1 : job.format === 'bundle' ? 2 : 0;
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
    copy =
      job.format === 'bundle'
        ? Readable.from(bundleLines(client, new TransparencyLogRepository(db), job.organizationId, filter))
        : client.query(copyTo(exportCopyQuery(job.organizationId, filter, job.format)));
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

type BundleRow = { line: string | null; leafIndex: string | null; leaf: Buffer | null; salt: Buffer | null } & Record<ContentField, unknown>;

/**
 * The lines of a verifiable export (libs/transparency's bundle-format.ts): the header with the latest
 * signed checkpoint, each event covered by it as its exact leaf bytes and the opening of its commitment
 * (rebuilt from the event's row, so a row changed since it was sealed no longer opens it), the others as
 * their JSON line (not yet sealed), and last the multi-leaf inclusion proof of all their leaves with the
 * hashes of their ranges (a leaf altered then fails its range alone), read through a cursor in the export's snapshot. Only the leaf indices are held in memory.
 */
async function* bundleLines(client: PoolClient, log: TransparencyLogRepository, organizationId: string, filter: ReturnType<typeof eventFilterFromJson>): AsyncGenerator<string> {
  const latest = await client.query<{ note: string; treeSize: string }>(
    `SELECT note, "treeSize" FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize" DESC LIMIT 1`,
    [organizationId],
  );
  const size = latest.rows.length === 0 ? 0 : Number(latest.rows[0].treeSize);
  yield bundleHeaderLine(organizationId, latest.rows[0]?.note ?? null);
  const query = exportBundleQuery(organizationId, filter, size);
  await client.query(`DECLARE bundle_rows NO SCROLL CURSOR FOR ${query.text}`, query.values);
  const indices: number[] = [];
  for (;;) {
    const page = await client.query<BundleRow>('FETCH 2000 FROM bundle_rows');
    if (page.rows.length === 0) break;
    let chunk = '';
    for (const r of page.rows) {
      if (r.line !== null) {
        chunk += pendingEventLine(r.line);
        continue;
      }
      // Covered by the checkpoint, so it has a leaf (kept as bytes or as its parts, never neither: log_leaves_leaf_present).
      const index = Number(r.leafIndex);
      indices.push(index);
      chunk += sealedEventLine(index, (r.leaf as Buffer).toString('utf8'), openingText(r, r.salt));
    }
    yield chunk;
  }
  await client.query('CLOSE bundle_rows');
  indices.sort((a, b) => a - b);
  const store = log.hashStore(organizationId);
  const proof = indices.length === 0 ? [] : await multiInclusionProof(store, indices, size);
  const ranges = indices.length === 0 ? [] : await rangeHashes(store, indices, size, BUNDLE_RANGE_LEAVES);
  yield proofLine(proof, ranges);
}
