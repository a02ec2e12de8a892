import { Inject, Injectable, Logger } from '@nestjs/common';
import { escapeIdentifier, type PoolClient } from 'pg';
import { Database, monthStart } from '@audit/persistence';
import { sleep } from '@audit/platform';
import { RETENTION_CONFIG, type RetentionConfig } from './config';
import type { DeleteStep, PartitionDropStep, PartitionInventory, StoreInventory } from './planner';

const PARENT = 'audit_trail_events';
const MONTH_PARTITION = /^audit_trail_events_y(\d{4})m(\d{2})$/;
/** Postgres' `lock_not_available`: our `lock_timeout` expired. We back off and retry instead of queueing writers. */
const LOCK_NOT_AVAILABLE = '55P03';
const LOCK_RETRIES = 40;

/** Rows per organization that a step removed (or, in a dry run, would remove). */
export type RowsByOrganization = Map<string, number>;

/** What a partition drop removed, and how long each phase took (only the detach takes a lock writers could feel). */
export interface PartitionDropResult {
  rows: RowsByOrganization;
  detachMs: number;
  /** Counting the detached table per organization (for the record) and putting back any row that must stay. */
  checkMs: number;
  dropMs: number;
}

/**
 * Retention's adapter over Postgres `audit_trail_events`: what each partition holds, and the two ways
 * rows go — a whole month partition detached and dropped, or one organization's rows deleted in short
 * batches. Every statement runs with `lock_timeout`, so a purge never makes a writer wait long: when a
 * lock is not granted in time the statement fails, and the purge backs off and tries again.
 */
@Injectable()
export class PostgresRetentionStore {
  private readonly logger = new Logger(PostgresRetentionStore.name);

  constructor(
    private readonly db: Database,
    @Inject(RETENTION_CONFIG) private readonly config: RetentionConfig,
  ) {}

  /** Every partition with the organizations in it and their oldest row (index-only skip scans, no full scans). */
  async inventory(): Promise<StoreInventory> {
    const { rows } = await this.db.query<{ name: string; isDefault: boolean }>(
      `SELECT c.relname AS name, c.oid = pt.partdefid AS "isDefault"
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
       WHERE i.inhparent = $1::regclass AND NOT i.inhdetachpending
       ORDER BY c.relname`,
      [PARENT],
      { timeout: false },
    );
    const partitions: PartitionInventory[] = [];
    for (const row of rows) {
      partitions.push({ name: row.name, range: row.isDefault ? null : monthRange(row.name), organizations: await this.organizationsIn(row.name) });
    }
    return { store: 'postgres', partitions };
  }

  /** Rows per organization in a partition: what dropping it removes. */
  async countPartition(partition: string): Promise<RowsByOrganization> {
    const { rows } = await this.db.query<{ organizationId: string; n: string }>(
      `SELECT "organizationId", count(*) AS n FROM ${escapeIdentifier(partition)} GROUP BY 1`,
      [],
      { timeout: false },
    );
    return new Map(rows.map((r) => [r.organizationId, Number(r.n)]));
  }

  /** Rows a delete step would remove. */
  async countDelete(step: DeleteStep): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${escapeIdentifier(step.partition)} WHERE "organizationId" = $1 AND "createdAt" < $2`,
      [step.organizationId, step.cutoff],
      { timeout: false },
    );
    return Number(rows[0].n);
  }

  /**
   * Deletes the organization's rows before the cutoff in batches of `RETENTION_BATCH_SIZE`, each its own
   * short transaction, until none is left. Rows at or after the cutoff are never touched.
   */
  async deleteInBatches(step: DeleteStep): Promise<number> {
    const table = escapeIdentifier(step.partition);
    return this.withPurgeSession(async (client) => {
      let total = 0;
      for (;;) {
        // ctid = ANY(…) is a TID scan: the batch is found through the index once and deleted by address.
        const result = await this.retryOnLockTimeout(`delete batch from ${step.partition}`, () =>
          client.query(
            `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM ${table} WHERE "organizationId" = $1 AND "createdAt" < $2 LIMIT $3))`,
            [step.organizationId, step.cutoff, this.config.batchSize],
          ),
        );
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < this.config.batchSize) return total;
      }
    });
  }

  /**
   * Detaches the partition (CONCURRENTLY when the table has no default partition, which Postgres
   * requires; otherwise a plain DETACH under `lock_timeout`), re-checks what landed in it against the
   * policies as they are now, puts back any row that must stay, and drops the table.
   *
   * `mayLoseAll` answers, after the detach, which organizations may still lose every row of the range:
   * a hold placed during the run, or rows of an organization written after planning, are then kept.
   * Returns what went, per organization, and the time of each phase.
   */
  async dropPartition(step: PartitionDropStep, mayLoseAll: (organizations: string[]) => Promise<Set<string>>): Promise<PartitionDropResult> {
    const table = escapeIdentifier(step.partition);
    return this.withPurgeSession(async (client) => {
      const started = performance.now();
      await this.detach(client, step.partition);
      const detached = performance.now();
      const counts = await client.query<{ organizationId: string; n: string }>(`SELECT "organizationId", count(*) AS n FROM ${table} GROUP BY 1`);
      const present = new Map(counts.rows.map((r) => [r.organizationId, Number(r.n)]));
      const allowed = await mayLoseAll([...present.keys()]);
      const keep = [...present.keys()].filter((org) => !allowed.has(org));
      if (keep.length > 0) {
        // The range is no longer covered by a partition: these rows go to the default partition, where
        // the per-organization deletes judge them like any other row.
        const moved = await client.query(`INSERT INTO ${PARENT} SELECT * FROM ${table} WHERE "organizationId" = ANY($1::text[]) ON CONFLICT DO NOTHING`, [keep]);
        this.logger.warn({ msg: 'rows kept from a dropped partition', partition: step.partition, organizations: keep, rows: moved.rowCount });
        for (const org of keep) present.delete(org);
      }
      const checked = performance.now();
      await client.query(`DROP TABLE ${table}`);
      const timings = { detachMs: detached - started, checkMs: checked - detached, dropMs: performance.now() - checked };
      this.logger.log({ msg: 'partition detached and dropped', partition: step.partition, ...timings });
      return { rows: present, ...timings };
    });
  }

  private async detach(client: PoolClient, partition: string): Promise<void> {
    const state = await client.query<{ pending: boolean; hasDefault: boolean }>(
      `SELECT i.inhdetachpending AS pending, pt.partdefid <> 0 AS "hasDefault"
       FROM pg_inherits i JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
       WHERE i.inhparent = $1::regclass AND i.inhrelid = $2::regclass`,
      [PARENT, partition],
    );
    if (state.rowCount === 0) return; // already detached by an earlier, interrupted run
    const name = escapeIdentifier(partition);
    const { pending, hasDefault } = state.rows[0];
    let sql: string;
    if (pending) sql = `ALTER TABLE ${PARENT} DETACH PARTITION ${name} FINALIZE`;
    else if (hasDefault) sql = `ALTER TABLE ${PARENT} DETACH PARTITION ${name}`;
    else sql = `ALTER TABLE ${PARENT} DETACH PARTITION ${name} CONCURRENTLY`;
    await this.retryOnLockTimeout(`detach ${partition}`, () => client.query(sql));
  }

  /** A connection of the write pool with the purge's `lock_timeout`, reset before it goes back (or discarded if it cannot be). */
  private withPurgeSession<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.db.withClient(async (client, discard) => {
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(this.config.lockTimeoutMs))}`);
      try {
        return await work(client);
      } finally {
        await client.query('RESET lock_timeout').catch((error: Error) => discard(error));
      }
    });
  }

  private async retryOnLockTimeout<T>(what: string, statement: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await statement();
      } catch (error) {
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= LOCK_RETRIES) throw error;
        this.logger.log({ msg: 'purge statement yielded its lock to writers; retrying', what, attempt });
        await sleep(Math.min(2_000, 50 * attempt));
      }
    }
  }

  /** Organizations in a partition with their oldest row: a recursive skip scan over the (organizationId, createdAt) index. */
  private async organizationsIn(partition: string): Promise<Array<{ organizationId: string; oldest: Date }>> {
    const t = escapeIdentifier(partition);
    const { rows } = await this.db.query<{ organizationId: string; oldest: Date }>(
      `WITH RECURSIVE orgs(o) AS (
         (SELECT "organizationId" FROM ${t} ORDER BY "organizationId" LIMIT 1)
         UNION ALL
         SELECT (SELECT "organizationId" FROM ${t} WHERE "organizationId" > orgs.o ORDER BY "organizationId" LIMIT 1)
         FROM orgs WHERE orgs.o IS NOT NULL)
       SELECT o AS "organizationId", (SELECT min("createdAt") FROM ${t} WHERE "organizationId" = o) AS oldest
       FROM orgs WHERE o IS NOT NULL`,
      [],
      { timeout: false },
    );
    return rows;
  }
}

/** `audit_trail_events_y2026m03` → March 2026 (UTC); null for a name the partition manager did not give. */
export function monthRange(partition: string): { from: Date; to: Date } | null {
  const match = MONTH_PARTITION.exec(partition);
  if (!match) return null;
  const from = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return { from, to: monthStart(from, 1) };
}
