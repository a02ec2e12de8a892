import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Database, PartitionManager, RetentionPoliciesRepository, RetentionRunsRepository, TransparencyLogRepository } from '@audit/persistence';
import { ClickHouseRetentionStore } from './clickhouse-retention.store';
import { planRetention, type KeptOrganization, type PartitionDropStep, type PlanStep, type Store, type StoreInventory } from './planner';
import { resolveRetention, type PolicySet } from './policy';
import { readPolicySet } from './policy-set';
import { PostgresRetentionStore, type RowsByOrganization } from './postgres-retention.store';
import { retentionMetrics } from './retention-metrics';

/** Arbitrary constant: the advisory lock one retention instance holds for a whole run. */
export const RETENTION_LOCK_KEY = 7_204_391_010;

/** What one step did (or would do) for one organization in one store. */
export interface RetentionOutcome {
  /** `inventory` only for a store that could not be read: nothing was planned for it. */
  action: PlanStep['action'] | 'inventory' | 'log_prune';
  store: Store;
  partition: string;
  /** Null only for a step that failed before it knew whose rows were in it. */
  organizationId: string | null;
  rows: number;
  cutoff: Date | null;
  ok: boolean;
  error: string | null;
}

export interface RetentionRunReport {
  runId: string;
  dryRun: boolean;
  /** Set when another instance held the retention lock, so this one did nothing. */
  skipped: string | null;
  startedAt: Date;
  finishedAt: Date;
  outcomes: RetentionOutcome[];
  kept: KeptOrganization[];
  ok: boolean;
}

/**
 * One retention run: under a Postgres advisory lock (one instance acts, any other skips and says so),
 * it reads the policies, asks each store what it holds, plans, and executes the plan step by step.
 * A failed step is recorded and the others still run. Every step is written to `retention_runs` and
 * logged; a dry run plans and counts but changes nothing.
 */
@Injectable()
export class RetentionRunner implements OnModuleInit {
  private readonly logger = new Logger(RetentionRunner.name);
  private readonly metrics = retentionMetrics();

  constructor(
    private readonly db: Database,
    private readonly policies: RetentionPoliciesRepository,
    private readonly runs: RetentionRunsRepository,
    private readonly partitions: PartitionManager,
    private readonly postgres: PostgresRetentionStore,
    private readonly clickhouse: ClickHouseRetentionStore,
    private readonly log: TransparencyLogRepository,
  ) {}

  /** A restarted instance reports the last success recorded by any instance, not "never". */
  async onModuleInit(): Promise<void> {
    const last = await this.runs.lastSuccessAt();
    if (last) this.metrics.lastSuccess.set(last.getTime() / 1000);
  }

  async run(options: { dryRun?: boolean; now?: Date } = {}): Promise<RetentionRunReport> {
    const dryRun = options.dryRun ?? false;
    const runId = randomUUID();
    const startedAt = new Date();
    const attempt = await this.db.tryAdvisoryLock(RETENTION_LOCK_KEY, () => this.runLocked(runId, dryRun, options.now ?? new Date(), startedAt));
    if (attempt.acquired) return attempt.result;
    const skipped = 'another retention instance holds the lock and is running';
    this.logger.log({ msg: 'retention run skipped', runId, reason: skipped });
    this.metrics.runs.inc({ outcome: 'skipped' });
    return { runId, dryRun, skipped, startedAt, finishedAt: new Date(), outcomes: [], kept: [], ok: true };
  }

  private async runLocked(runId: string, dryRun: boolean, now: Date, startedAt: Date): Promise<RetentionRunReport> {
    this.logger.log({ msg: 'retention run started', runId, dryRun, now: now.toISOString() });
    if (!dryRun) await this.partitions.ensureAhead(now);
    const policies = await this.loadPolicies();
    const outcomes: RetentionOutcome[] = [];
    // A store that cannot be read (ClickHouse down) is recorded as failed; the other is still purged.
    const inventories: StoreInventory[] = [];
    for (const store of [this.postgres, this.clickhouse]) {
      const inventoryStarted = new Date();
      try {
        inventories.push(await store.inventory());
      } catch (error) {
        const failed: RetentionOutcome = {
          action: 'inventory',
          store: store === this.postgres ? 'postgres' : 'clickhouse',
          partition: '',
          organizationId: null,
          rows: 0,
          cutoff: null,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        };
        await this.record(runId, dryRun, failed, inventoryStarted);
        outcomes.push(failed);
      }
    }
    const plan = planRetention(policies, inventories, now);
    for (const step of plan.steps) {
      const stepStarted = new Date();
      let stepOutcomes: RetentionOutcome[];
      try {
        stepOutcomes = await this.execute(step, dryRun, now);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        stepOutcomes = [
          {
            action: step.action,
            store: step.store,
            partition: step.partition,
            organizationId: step.action === 'delete' ? step.organizationId : null,
            rows: 0,
            cutoff: step.action === 'delete' ? step.cutoff : null,
            ok: false,
            error: message,
          },
        ];
      }
      for (const outcome of stepOutcomes) await this.record(runId, dryRun, outcome, stepStarted);
      outcomes.push(...stepOutcomes);
    }
    if (!dryRun && outcomes.some((o) => o.store === 'postgres' && o.ok && o.rows > 0)) {
      for (const outcome of await this.pruneLogs()) {
        await this.record(runId, dryRun, outcome, new Date());
        outcomes.push(outcome);
      }
    }
    const finishedAt = new Date();
    const ok = outcomes.every((o) => o.ok);
    this.metrics.runs.inc({ outcome: ok ? 'ok' : 'failed' });
    if (ok && !dryRun) this.metrics.lastSuccess.set(finishedAt.getTime() / 1000);
    this.logger.log({
      msg: 'retention run finished',
      runId,
      dryRun,
      ok,
      steps: outcomes.length,
      rows: outcomes.reduce((sum, o) => sum + o.rows, 0),
      ms: finishedAt.getTime() - startedAt.getTime(),
    });
    return { runId, dryRun, skipped: null, startedAt, finishedAt, outcomes, kept: plan.kept, ok };
  }

  private async execute(step: PlanStep, dryRun: boolean, now: Date): Promise<RetentionOutcome[]> {
    const store = step.store === 'postgres' ? this.postgres : this.clickhouse;
    if (step.action === 'partition_drop') {
      const rows = dryRun ? await store.countPartition(step.partition) : (await store.dropPartition(step, (orgs) => this.mayLoseAll(step, orgs, now))).rows;
      return perOrganization(step, rows);
    }
    const rows = dryRun
      ? await store.countDelete(step)
      : step.store === 'postgres'
        ? await this.postgres.deleteInBatches(step)
        : await this.clickhouse.delete(step);
    return [{ action: 'delete', store: step.store, partition: step.partition, organizationId: step.organizationId, rows, cutoff: step.cutoff, ok: true, error: null }];
  }

  /**
   * Once events were purged from Postgres, each organization's log lets go of the leaves of its longest
   * fully purged prefix, keeping the subtree hashes the remaining events' proofs need.
   */
  private async pruneLogs(): Promise<RetentionOutcome[]> {
    const outcomes: RetentionOutcome[] = [];
    for (const organizationId of await this.log.organizations()) {
      const base = { action: 'log_prune' as const, store: 'postgres' as const, partition: 'log_leaves', organizationId, cutoff: null };
      try {
        const { leaves } = await this.log.pruneAfterPurge(organizationId);
        if (leaves > 0) outcomes.push({ ...base, rows: leaves, ok: true, error: null });
      } catch (error) {
        outcomes.push({ ...base, rows: 0, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcomes;
  }

  /** Re-reads the policies at the last moment before a drop: which of these organizations may still lose the whole range. */
  private async mayLoseAll(step: PartitionDropStep, organizations: string[], now: Date): Promise<Set<string>> {
    const fresh = await this.loadPolicies();
    return new Set(
      organizations.filter((org) => {
        const retention = resolveRetention(fresh, org, now);
        return retention.kind === 'cutoff' && step.range.to.getTime() <= retention.cutoff.getTime();
      }),
    );
  }

  private loadPolicies(): Promise<PolicySet> {
    return readPolicySet(this.policies);
  }

  private async record(runId: string, dryRun: boolean, outcome: RetentionOutcome, startedAt: Date): Promise<void> {
    const finishedAt = new Date();
    if (!dryRun && outcome.ok) this.metrics.rowsPurged.inc({ store: outcome.store }, outcome.rows);
    const line = { msg: dryRun ? 'retention would purge' : 'retention purged', runId, ...outcome, cutoff: outcome.cutoff?.toISOString() ?? null };
    if (outcome.ok) this.logger.log(line);
    else this.logger.error(line);
    await this.runs.record({
      runId,
      action: outcome.action,
      store: outcome.store,
      organizationId: outcome.organizationId,
      target: outcome.partition || null,
      rows: outcome.rows,
      cutoff: outcome.cutoff,
      dryRun,
      startedAt,
      finishedAt,
      ok: outcome.ok,
      error: outcome.error,
    });
  }
}

function perOrganization(step: PartitionDropStep, rows: RowsByOrganization): RetentionOutcome[] {
  return [...rows].map(([organizationId, n]) => ({
    action: 'partition_drop' as const,
    store: step.store,
    partition: step.partition,
    organizationId,
    rows: n,
    cutoff: step.range.to,
    ok: true,
    error: null,
  }));
}
