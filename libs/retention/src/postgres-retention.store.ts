import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventPartitionsRepository, rangeOfPartitionName, type PurgeSession } from '@audit/persistence';
import { sleep } from '@audit/platform';
import { RETENTION_CONFIG, type RetentionConfig } from './config';
import type { DeleteStep, PartitionDropStep, PartitionInventory, StoreInventory } from './planner';

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
 * Retention's adapter over Postgres `audit_trail_events` (whose statements live in persistence's
 * `EventPartitionsRepository`): what each partition holds, and the two ways rows go — a whole month
 * partition detached and dropped, or one organization's rows deleted in short batches. Every purge
 * statement runs with `lock_timeout`, so a purge never makes a writer wait long: when a
 * lock is not granted in time the statement fails, and the purge backs off and tries again.
 */
@Injectable()
export class PostgresRetentionStore {
  private readonly logger = new Logger(PostgresRetentionStore.name);

  constructor(
    private readonly partitions: EventPartitionsRepository,
    @Inject(RETENTION_CONFIG) private readonly config: RetentionConfig,
  ) {}

  /** Every partition with the organizations in it and their oldest row (index-only skip scans, no full scans). */
  async inventory(): Promise<StoreInventory> {
    const rows = await this.partitions.list();
    const partitions: PartitionInventory[] = [];
    for (const row of rows) {
      partitions.push({ name: row.name, range: row.isDefault ? null : rangeOfPartitionName(row.name), organizations: await this.partitions.organizationsIn(row.name) });
    }
    return { store: 'postgres', partitions };
  }

  /** Rows per organization in a partition: what dropping it removes. */
  async countPartition(partition: string): Promise<RowsByOrganization> {
    return this.partitions.countByOrganization(partition);
  }

  /** Rows a delete step would remove. */
  countDelete(step: DeleteStep): Promise<number> {
    return this.partitions.countBefore(step.partition, step.organizationId, step.cutoff);
  }

  /**
   * Deletes the organization's rows before the cutoff in batches of `RETENTION_BATCH_SIZE`, each its own
   * short transaction, until none is left. Rows at or after the cutoff are never touched.
   */
  async deleteInBatches(step: DeleteStep): Promise<number> {
    return this.withPurgeSession(async (session) => {
      let total = 0;
      for (;;) {
        const deleted = await this.retryOnLockTimeout(`delete batch from ${step.partition}`, () =>
          session.deleteBefore(step.partition, step.organizationId, step.cutoff, this.config.batchSize),
        );
        total += deleted;
        if (deleted < this.config.batchSize) return total;
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
    return this.withPurgeSession(async (session) => {
      const started = performance.now();
      await this.detach(session, step.partition);
      const detached = performance.now();
      const present = await session.countByOrganization(step.partition);
      const allowed = await mayLoseAll([...present.keys()]);
      const keep = [...present.keys()].filter((org) => !allowed.has(org));
      if (keep.length > 0) {
        // The range is no longer covered by a partition: these rows go to the default partition, where
        // the per-organization deletes judge them like any other row.
        const moved = await session.restore(step.partition, keep);
        this.logger.warn({ msg: 'rows kept from a dropped partition', partition: step.partition, organizations: keep, rows: moved });
        for (const org of keep) present.delete(org);
      }
      const checked = performance.now();
      await session.drop(step.partition);
      const timings = { detachMs: detached - started, checkMs: checked - detached, dropMs: performance.now() - checked };
      this.logger.log({ msg: 'partition detached and dropped', partition: step.partition, ...timings });
      return { rows: present, ...timings };
    });
  }

  private async detach(session: PurgeSession, partition: string): Promise<void> {
    const state = await session.attachment(partition);
    if (state === null) return; // already detached by an earlier, interrupted run
    const mode = state.pending ? 'finalize' : state.hasDefault ? 'plain' : 'concurrently';
    await this.retryOnLockTimeout(`detach ${partition}`, () => session.detach(partition, mode));
  }

  private withPurgeSession<T>(work: (session: PurgeSession) => Promise<T>): Promise<T> {
    return this.partitions.withPurgeSession(this.config.lockTimeoutMs, work);
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
}
