import { Injectable } from '@nestjs/common';
import { Database } from '@audit/persistence';
import type { Cursor } from '@audit/query';
import type { ExportFormat } from './export-query';

export const EXPORT_STATUSES = ['pending', 'running', 'ready', 'failed', 'expired'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** One export job as stored. `filters` is the event filter in its stored JSON form. */
export interface ExportJob {
  id: string;
  organizationId: string;
  requestedBy: string | null;
  filters: Record<string, unknown>;
  format: ExportFormat;
  status: ExportStatus;
  rowCount: number;
  totalRows: number | null;
  sizeBytes: number | null;
  /** 0..1 while running, 1 once ready. */
  progress: number;
  storageKey: string | null;
  error: string | null;
  attempts: number;
  lockedBy: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When the file is removed (ready jobs only). */
  expiresAt: Date | null;
}

interface JobRow extends Omit<ExportJob, 'rowCount' | 'totalRows' | 'sizeBytes'> {
  rowCount: string;
  totalRows: string | null;
  sizeBytes: string | null;
}

const toJob = (row: JobRow): ExportJob => ({
  ...row,
  rowCount: Number(row.rowCount),
  totalRows: row.totalRows === null ? null : Number(row.totalRows),
  sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
  progress: Number(row.progress),
});

/**
 * The job store. Every read an API makes is scoped by organization; the lease-holding writes of a worker
 * (`heartbeat`, `complete`, `fail`, `release`) take effect only while that worker still holds the job, so a
 * worker that was presumed dead and replaced cannot overwrite its successor's result.
 */
@Injectable()
export class ExportJobsRepository {
  constructor(private readonly db: Database) {}

  private async rows(sql: string, params: unknown[]): Promise<ExportJob[]> {
    const result = await this.db.query<JobRow>(sql, params);
    return result.rows.map(toJob);
  }

  async create(job: { id: string; organizationId: string; requestedBy: string | null; filters: Record<string, unknown>; format?: ExportFormat }): Promise<ExportJob> {
    const [created] = await this.rows(
      `INSERT INTO export_jobs (id, "organizationId", "requestedBy", filters, format) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [job.id, job.organizationId, job.requestedBy, JSON.stringify(job.filters), job.format ?? 'csv'],
    );
    return created;
  }

  /**
   * A page of the organization's jobs, newest first: `limit` jobs after the keyset position `after`, and
   * the position of the last one when more follow. The position is Postgres' own text of `createdAt`
   * (microseconds), so no job is skipped or repeated between pages.
   */
  async page(organizationId: string, limit: number, after?: Cursor): Promise<{ jobs: ExportJob[]; next?: Cursor }> {
    const params: unknown[] = [organizationId];
    let where = `"organizationId" = $1`;
    if (after) {
      params.push(after.createdAt, after.id);
      where += ` AND ("createdAt", id) < ($2::timestamptz, $3::uuid)`;
    }
    params.push(limit + 1);
    const result = await this.db.query<JobRow & { cursorAt: string }>(
      `SELECT *, to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS "cursorAt"
         FROM export_jobs WHERE ${where} ORDER BY "createdAt" DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = result.rows.slice(0, limit);
    const last = rows.at(-1);
    return {
      jobs: rows.map(toJob),
      next: result.rows.length > limit && last ? { createdAt: last.cursorAt, id: last.id } : undefined,
    };
  }

  async findForOrganization(organizationId: string, id: string): Promise<ExportJob | null> {
    const [job] = await this.rows(`SELECT * FROM export_jobs WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]);
    return job ?? null;
  }

  /**
   * A job by id alone: only for the download of a signed link, whose signature over the id is the credential
   * (the link does not carry a bearer token).
   */
  async findBySignedId(id: string): Promise<ExportJob | null> {
    const [job] = await this.rows(`SELECT * FROM export_jobs WHERE id = $1`, [id]);
    return job ?? null;
  }

  /**
   * Takes the oldest claimable job: pending, or running with a stale heartbeat (its worker died), and not
   * out of attempts. SKIP LOCKED lets N workers claim concurrently, each a different job, without waiting.
   */
  async claim(workerId: string, staleAfterMs: number, maxAttempts: number): Promise<ExportJob | null> {
    const [job] = await this.rows(
      `UPDATE export_jobs j
          SET status = 'running', "lockedBy" = $1, "heartbeatAt" = now(), attempts = j.attempts + 1,
              "startedAt" = coalesce(j."startedAt", now()), error = NULL
        WHERE j.id = (
          SELECT id FROM export_jobs
           WHERE (status = 'pending' OR (status = 'running' AND "heartbeatAt" < now() - make_interval(secs => $2::double precision / 1000)))
             AND attempts < $3
           ORDER BY "createdAt"
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
       RETURNING j.*`,
      [workerId, staleAfterMs, maxAttempts],
    );
    return job ?? null;
  }

  /** Marks failed the jobs whose worker died on their last allowed attempt; returns how many. */
  async failAbandoned(staleAfterMs: number, maxAttempts: number): Promise<number> {
    const result = await this.db.query(
      `UPDATE export_jobs
          SET status = 'failed', "lockedBy" = NULL, "finishedAt" = now(),
              error = 'the export was interrupted ' || attempts || ' times (worker stopped responding)'
        WHERE status = 'running' AND attempts >= $2
          AND "heartbeatAt" < now() - make_interval(secs => $1::double precision / 1000)`,
      [staleAfterMs, maxAttempts],
    );
    return result.rowCount ?? 0;
  }

  /** Records progress and renews the lease; false when the worker no longer holds the job. */
  async heartbeat(id: string, workerId: string, progress: { rowCount: number; totalRows?: number | null; progress: number }): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE export_jobs SET "heartbeatAt" = now(), "rowCount" = $3, progress = $4, "totalRows" = coalesce($5, "totalRows")
        WHERE id = $1 AND "lockedBy" = $2 AND status = 'running'`,
      [id, workerId, progress.rowCount, progress.progress, progress.totalRows ?? null],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async complete(id: string, workerId: string, done: { storageKey: string; rowCount: number; sizeBytes: number; expiresAt: Date }): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE export_jobs
          SET status = 'ready', "storageKey" = $3, "rowCount" = $4, "totalRows" = $4, "sizeBytes" = $5, progress = 1,
              "expiresAt" = $6, "finishedAt" = now(), "lockedBy" = NULL, error = NULL
        WHERE id = $1 AND "lockedBy" = $2 AND status = 'running'`,
      [id, workerId, done.storageKey, done.rowCount, done.sizeBytes, done.expiresAt],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async fail(id: string, workerId: string, error: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE export_jobs SET status = 'failed', error = $3, "finishedAt" = now(), "lockedBy" = NULL
        WHERE id = $1 AND "lockedBy" = $2 AND status = 'running'`,
      [id, workerId, error.slice(0, 2000)],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Gives a job back on graceful shutdown: pending again, and the interrupted attempt does not count. */
  async release(id: string, workerId: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE export_jobs SET status = 'pending', "lockedBy" = NULL, "heartbeatAt" = NULL, attempts = greatest(attempts - 1, 0), progress = 0, "rowCount" = 0
        WHERE id = $1 AND "lockedBy" = $2 AND status = 'running'`,
      [id, workerId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Puts a failed attempt back in the queue; the attempt counts, and the error is shown until the next one ends. */
  async retryLater(id: string, workerId: string, error: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE export_jobs SET status = 'pending', "lockedBy" = NULL, "heartbeatAt" = NULL, error = $3, progress = 0, "rowCount" = 0
        WHERE id = $1 AND "lockedBy" = $2 AND status = 'running'`,
      [id, workerId, error.slice(0, 2000)],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Ready jobs whose file is past its keep time. */
  dueForExpiry(now: Date, limit = 100): Promise<ExportJob[]> {
    return this.rows(`SELECT * FROM export_jobs WHERE status = 'ready' AND "expiresAt" <= $1 ORDER BY "expiresAt" LIMIT $2`, [now, limit]);
  }

  /** Marks a ready job expired once its file was removed; false if something else did it first. */
  async markExpired(id: string): Promise<boolean> {
    const result = await this.db.query(`UPDATE export_jobs SET status = 'expired', progress = 1 WHERE id = $1 AND status = 'ready'`, [id]);
    return (result.rowCount ?? 0) > 0;
  }
}
