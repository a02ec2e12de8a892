import { Injectable } from '@nestjs/common';
import { Database } from './database';

/** One purge step: what was (or, in a dry run, would be) removed from one store. */
export interface RetentionRunRecord {
  runId: string;
  /** e.g. `partition_drop`, `batch_delete`, `rollup_rebuild`. */
  action: string;
  store: 'postgres' | 'clickhouse';
  /** Null when the step covers every organization (a whole partition). */
  organizationId: string | null;
  /** The partition or table acted on. */
  target: string | null;
  rows: number;
  cutoff: Date | null;
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  error: string | null;
}

/** The `retention_runs` ledger: every purge, its scope and its outcome. */
@Injectable()
export class RetentionRunsRepository {
  constructor(private readonly db: Database) {}

  async record(entry: RetentionRunRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO retention_runs ("runId", action, store, "organizationId", target, rows, cutoff, "dryRun", "startedAt", "finishedAt", ok, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        entry.runId,
        entry.action,
        entry.store,
        entry.organizationId,
        entry.target,
        entry.rows,
        entry.cutoff,
        entry.dryRun,
        entry.startedAt,
        entry.finishedAt,
        entry.ok,
        entry.error,
      ],
    );
  }

  /** Steps of one run, in the order they were recorded. */
  async byRun(runId: string): Promise<RetentionRunRecord[]> {
    const { rows } = await this.db.query<RetentionRunRecord & { rows: string }>(
      'SELECT * FROM retention_runs WHERE "runId" = $1 ORDER BY id',
      [runId],
    );
    return rows.map((r) => ({ ...r, rows: Number(r.rows) }));
  }

  /** When the last run without any failed step finished, if any. */
  async lastSuccessAt(): Promise<Date | null> {
    const { rows } = await this.db.query<{ at: Date | null }>(
      `SELECT max("finishedAt") AS at FROM retention_runs r
       WHERE NOT "dryRun" AND NOT EXISTS (SELECT 1 FROM retention_runs f WHERE f."runId" = r."runId" AND NOT f.ok)`,
    );
    return rows[0]?.at ?? null;
  }
}
