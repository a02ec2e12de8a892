import { isPurged, resolveRetention, type PolicySet } from './policy';

export type Store = 'postgres' | 'clickhouse';

/** What one store holds in one partition, as far as retention needs to know. */
export interface PartitionInventory {
  /** Postgres: the partition table; ClickHouse: the partition id (`202601`). */
  name: string;
  /** The partition's `[from, to)` range; null for a partition that is never dropped whole (the default one). */
  range: { from: Date; to: Date } | null;
  /** Each organization with rows in it, and its oldest row there. */
  organizations: ReadonlyArray<{ organizationId: string; oldest: Date }>;
}

export interface StoreInventory {
  store: Store;
  partitions: readonly PartitionInventory[];
}

/** Drop a whole partition: every organization with rows in it may lose all of them. */
export interface PartitionDropStep {
  action: 'partition_drop';
  store: Store;
  partition: string;
  range: { from: Date; to: Date };
  organizations: string[];
}

/** Delete one organization's rows older than its cutoff inside one partition. */
export interface DeleteStep {
  action: 'delete';
  store: Store;
  partition: string;
  organizationId: string;
  cutoff: Date;
}

export type PlanStep = PartitionDropStep | DeleteStep;

/** An organization whose old rows stay in a store on purpose, and why. */
export interface KeptOrganization {
  store: Store;
  organizationId: string;
  reason: 'hold' | 'forever';
}

export interface RetentionPlan {
  now: Date;
  steps: PlanStep[];
  kept: KeptOrganization[];
}

/**
 * Decides what goes, per store and partition, from the policies and what each store holds. Pure: the
 * purgers execute the plan, and this is where "exactly what the policy says, no more" is decided.
 *
 * A partition is dropped whole only when its whole range lies before the cutoff of every organization
 * with rows in it (a hold or "forever" of any of them blocks the drop). Otherwise each organization whose
 * oldest row there is older than its cutoff gets a delete of the rows before its cutoff. Empty partitions
 * are left alone: dropping them frees nothing, and the partition manager would only create them again.
 */
export function planRetention(policies: PolicySet, inventories: readonly StoreInventory[], now: Date): RetentionPlan {
  const steps: PlanStep[] = [];
  const kept = new Map<string, KeptOrganization>();
  for (const { store, partitions } of inventories) {
    for (const partition of partitions) {
      const resolved = partition.organizations.map((o) => ({ ...o, retention: resolveRetention(policies, o.organizationId, now) }));
      for (const o of resolved) {
        if (o.retention.kind === 'hold' || o.retention.kind === 'forever') {
          kept.set(`${store}|${o.organizationId}`, { store, organizationId: o.organizationId, reason: o.retention.kind });
        }
      }
      const range = partition.range;
      const droppable =
        range !== null &&
        resolved.length > 0 &&
        resolved.every((o) => o.retention.kind === 'cutoff' && range.to.getTime() <= o.retention.cutoff.getTime());
      if (droppable) {
        steps.push({ action: 'partition_drop', store, partition: partition.name, range, organizations: resolved.map((o) => o.organizationId).sort() });
        continue;
      }
      for (const o of resolved) {
        if (o.retention.kind !== 'cutoff' || !isPurged(o.retention, o.oldest)) continue;
        steps.push({ action: 'delete', store, partition: partition.name, organizationId: o.organizationId, cutoff: o.retention.cutoff });
      }
    }
  }
  return { now, steps, kept: [...kept.values()].sort((a, b) => a.store.localeCompare(b.store) || a.organizationId.localeCompare(b.organizationId)) };
}
