import { Injectable } from '@nestjs/common';
import { ClickHouse, ROLLUPS, spanStart, toClickHouseTime } from '@audit/clickhouse';
import type { DeleteStep, PartitionDropStep, StoreInventory } from './planner';
import type { RowsByOrganization } from './postgres-retention.store';

const PARTITION_ID = /^(\d{4})(\d{2})$/;

/** `2026-01-31 23:59:59.999` (ClickHouse text, UTC) → Date. */
const fromClickHouseTime = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

/**
 * Retention's adapter over the ClickHouse projection: `audit_events` (partitioned by `toYYYYMM(createdAt)`)
 * and its rollups (ROLLUPS: hourly, daily per user; partitioned by the month of their span, so a month
 * is the same partition id in all). Values always travel as server-side query parameters.
 */
@Injectable()
export class ClickHouseRetentionStore {
  constructor(private readonly ch: ClickHouse) {}

  async inventory(): Promise<StoreInventory> {
    const rows = await this.rows<{ p: string; organizationId: string; oldest: string }>(
      `SELECT _partition_id AS p, organizationId, toString(min(createdAt)) AS oldest
       FROM audit_events GROUP BY p, organizationId ORDER BY p, organizationId`,
    );
    const byPartition = new Map<string, Array<{ organizationId: string; oldest: Date }>>();
    for (const row of rows) {
      const list = byPartition.get(row.p) ?? [];
      list.push({ organizationId: row.organizationId, oldest: fromClickHouseTime(row.oldest) });
      byPartition.set(row.p, list);
    }
    return {
      store: 'clickhouse',
      partitions: [...byPartition].map(([name, organizations]) => ({ name, range: partitionRange(name), organizations })),
    };
  }

  async countPartition(partition: string): Promise<RowsByOrganization> {
    const rows = await this.rows<{ organizationId: string; n: number }>(
      'SELECT organizationId, count() AS n FROM audit_events WHERE _partition_id = {p:String} GROUP BY organizationId',
      { p: partition },
    );
    return new Map(rows.map((r) => [r.organizationId, Number(r.n)]));
  }

  async countDelete(step: DeleteStep): Promise<number> {
    const rows = await this.rows<{ n: number }>(
      `SELECT count() AS n FROM audit_events
       WHERE _partition_id = {p:String} AND organizationId = {org:String} AND createdAt < {cutoff:DateTime64(3, 'UTC')}`,
      { p: step.partition, org: step.organizationId, cutoff: toClickHouseTime(step.cutoff) },
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Drops the month from the events and from the rollups. `mayLoseAll` is asked right before the drop
   * with the organizations found in the partition; if any of them may not lose everything now (a hold
   * placed during the run), nothing is dropped and the next run plans again.
   */
  async dropPartition(step: PartitionDropStep, mayLoseAll: (organizations: string[]) => Promise<Set<string>>): Promise<{ rows: RowsByOrganization; dropMs: number }> {
    const counts = await this.countPartition(step.partition);
    const allowed = await mayLoseAll([...counts.keys()]);
    const blocked = [...counts.keys()].filter((org) => !allowed.has(org));
    if (blocked.length > 0) throw new Error(`partition ${step.partition} not dropped: organizations ${blocked.join(', ')} may no longer lose all of it`);
    const started = performance.now();
    // On replicated tables DROP PARTITION replicates through Keeper by itself (no ON CLUSTER, which would
    // run it once per replica); the removal settings wait until every replica has dropped it.
    const settings = this.ch.removalSettings;
    await this.ch.client.command({ query: 'ALTER TABLE audit_events DROP PARTITION ID {p:String}', query_params: { p: step.partition }, clickhouse_settings: settings });
    for (const rollup of ROLLUPS) {
      await this.ch.client.command({ query: `ALTER TABLE ${rollup.table} DROP PARTITION ID {p:String}`, query_params: { p: step.partition }, clickhouse_settings: settings });
    }
    return { rows: counts, dropMs: performance.now() - started };
  }

  /**
   * Deletes the organization's events before the cutoff in one partition, then makes each rollup agree
   * with what is kept: its rows for whole spans (hours, days) before the cutoff go, and the span the
   * cutoff falls in is recomputed from the kept events. Rollup rows add up when inserted (Summing and
   * AggregatingMergeTree), so replacing the boundary span is delete, then insert the aggregate.
   */
  async delete(step: DeleteStep): Promise<number> {
    const rows = await this.countDelete(step);
    if (rows === 0) return 0;
    const params = { p: step.partition, org: step.organizationId, cutoff: toClickHouseTime(step.cutoff) };
    // Lightweight DELETE on replicated tables is a replicated mutation; the removal settings make it
    // return once every replica applied it, so the boundary spans below are recomputed from kept rows only.
    const settings = this.ch.removalSettings;
    await this.ch.client.command({
      query: `DELETE FROM audit_events WHERE _partition_id = {p:String} AND organizationId = {org:String} AND createdAt < {cutoff:DateTime64(3, 'UTC')}`,
      query_params: params,
      clickhouse_settings: settings,
    });
    for (const rollup of ROLLUPS) {
      const boundary = spanStart(rollup, step.cutoff);
      const spanParams = {
        ...params,
        span: boundary.param,
        from: toClickHouseTime(boundary.start),
        to: toClickHouseTime(new Date(boundary.start.getTime() + rollup.span.ms)),
      };
      await this.ch.client.command({
        query: `DELETE FROM ${rollup.table} WHERE _partition_id = {p:String} AND organizationId = {org:String} AND ${rollup.span.column} <= {span:${rollup.span.type}}`,
        query_params: spanParams,
        clickhouse_settings: settings,
      });
      await this.ch.client.command({
        query: `INSERT INTO ${rollup.table} ${rollup.select(
          "_partition_id = {p:String} AND organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}",
        )}`,
        query_params: spanParams,
        // On a cluster: no block deduplication (this span's aggregate may equal one inserted by an earlier
        // run, whose rows the DELETE above just removed) and the quorum of every replica.
        clickhouse_settings: this.ch.insertSettings,
      });
    }
    return rows;
  }

  private async rows<T>(query: string, params?: Record<string, unknown>): Promise<T[]> {
    const result = await this.ch.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    return result.json<T>();
  }
}

/** `202603` → March 2026 (UTC). */
export function partitionRange(id: string): { from: Date; to: Date } | null {
  const match = PARTITION_ID.exec(id);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { from: new Date(Date.UTC(year, month, 1)), to: new Date(Date.UTC(year, month + 1, 1)) };
}
