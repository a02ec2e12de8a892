import { Injectable } from '@nestjs/common';
import { ClickHouse, ClickHouseEventsRepository, ProjectionProgress, ROLLUPS, spanStart, toClickHouseRow, toClickHouseTime, type ClickHouseEventRow, type Rollup } from '@audit/clickhouse';
import type { AuditUserSnapshot } from '@audit/contracts';
import { AuditEventsScanRepository, ErasuresRepository, type StoredEventRow } from '@audit/persistence';
import { reapplyErasures } from './erasures-in-flight';

export interface RebuildScope {
  organizationId?: string;
  /** Rebuild from this instant on; floored to the UTC day so every rollup (hourly, daily) is rebuilt whole. */
  since?: Date;
}

export interface RebuildResult {
  organizationId: string | null;
  since: string | null;
  postgres: number;
  inserted: number;
  clickhouse: number;
}

const PAGE = 10_000;

/** The longest rollup span (a day): a rebuild from an instant starts where that span starts. */
const WIDEST_ROLLUP = ROLLUPS.reduce((a, b) => (b.span.ms > a.span.ms ? b : a));

/**
 * Reloads the ClickHouse projection from Postgres, the system of record: deletes the scope in
 * ClickHouse (events and rollups), streams the scope out of Postgres (through the scan repository's cursor), and inserts it in
 * batches with the projector's check of `audit_events`, so running it twice, or beside the live
 * projector, never double-counts. Every reloaded id is registered in `audit_event_ids`; the registry
 * itself is never cleared (an id stays used after its event is purged), so it is not what the reload
 * checks against. While it runs, searches trust no high-water mark (ProjectionProgress.hold): they read
 * Postgres, since ClickHouse lacks what was cleared and not reloaded yet.
 *
 * The scan reads one snapshot, so its rows are as erasures committed before the rebuild began left them.
 * An erasure committed during the rebuild runs its ClickHouse step while pages of the old snapshot are
 * still to come, so each page, once stored, has the erasures covering it re-applied, as the projector's
 * batches do (`reapplyErasures`).
 */
@Injectable()
export class ProjectionRebuilder {
  constructor(
    private readonly stored: AuditEventsScanRepository,
    private readonly ch: ClickHouse,
    private readonly events: ClickHouseEventsRepository,
    private readonly progress: ProjectionProgress,
    private readonly erasures: ErasuresRepository,
  ) {}

  async rebuild(scope: RebuildScope, onProgress: (done: number, total: number) => void = () => undefined): Promise<RebuildResult> {
    const since = scope.since ? spanStart(WIDEST_ROLLUP, scope.since).start : undefined;
    const org = scope.organizationId;
    const total = await this.stored.count({ organizationId: org, since });
    // Before anything is cleared; released only once the reload is done (a failed rebuild keeps it).
    await this.progress.hold();
    await this.clearScope(org, since);

    let inserted = 0;
    let done = 0;
    onProgress(0, total);
    await this.stored.scan({ organizationId: org, since }, PAGE, async (rows) => {
      const page = rows.map(toRow);
      inserted += await this.events.reload(page);
      await reapplyErasures(page, this.erasures, this.events);
      done += rows.length;
      onProgress(done, Math.max(total, done));
    });
    await this.progress.release();
    return { organizationId: org ?? null, since: since?.toISOString() ?? null, postgres: total, inserted, clickhouse: await this.countClickHouse(org, since) };
  }

  private async clearScope(org: string | undefined, since: Date | undefined): Promise<void> {
    // On replicated tables TRUNCATE and ALTER … DELETE replicate through Keeper by themselves; the removal
    // settings make them return only once every replica is clear, because the duplicate check of the
    // inserts that follow may read any replica (one still holding a row would have it skipped).
    const removal = this.ch.removalSettings;
    if (!org && !since) {
      await this.ch.client.command({ query: 'TRUNCATE TABLE audit_events', clickhouse_settings: removal });
      for (const rollup of ROLLUPS) await this.ch.client.command({ query: `TRUNCATE TABLE ${rollup.table}`, clickhouse_settings: removal });
      return;
    }
    const settings = { mutations_sync: '2', ...removal } as const;
    const events = scopeSql(org, since);
    await this.ch.client.command({ query: `ALTER TABLE audit_events DELETE WHERE ${events.where}`, query_params: events.params, clickhouse_settings: settings });
    for (const rollup of ROLLUPS) {
      const scope = scopeSql(org, since, rollup);
      await this.ch.client.command({ query: `ALTER TABLE ${rollup.table} DELETE WHERE ${scope.where}`, query_params: scope.params, clickhouse_settings: settings });
    }
  }

  private async countClickHouse(org: string | undefined, since: Date | undefined): Promise<number> {
    const scope = scopeSql(org, since);
    const result = await this.ch.client.query({
      query: `SELECT count() AS n FROM audit_events FINAL WHERE ${scope.where}`,
      query_params: scope.params,
      format: 'JSONEachRow',
    });
    return Number((await result.json<{ n: string | number }>())[0].n);
  }
}

/** The scope as a ClickHouse condition on the events, or on a rollup's span: fixed text, values only as parameters. */
function scopeSql(org: string | undefined, since: Date | undefined, rollup?: Rollup): { where: string; params: Record<string, string> } {
  const conditions = ['1 = 1'];
  const params: Record<string, string> = {};
  if (org) {
    conditions.push('organizationId = {org:String}');
    params['org'] = org;
  }
  if (since && rollup) {
    // `since` starts a span of every rollup (see WIDEST_ROLLUP).
    conditions.push(`${rollup.span.column} >= {since:${rollup.span.type}}`);
    params['since'] = spanStart(rollup, since).param;
  } else if (since) {
    conditions.push("createdAt >= {since:DateTime64(3, 'UTC')}");
    params['since'] = toClickHouseTime(since);
  }
  return { where: conditions.join(' AND '), params };
}

/** The stored event as the projector writes it, through the same mapping as a live event. */
function toRow({ email, userName, metadata, createdAt, receivedAt, ...columns }: StoredEventRow): ClickHouseEventRow {
  // A users row may lack either value; toClickHouseRow then stores that one as null, as before.
  const user = email === null && userName === null ? null : ({ email, userName } as AuditUserSnapshot);
  return toClickHouseRow({
    ...columns,
    schemaVersion: 1,
    user,
    metadata: metadata ?? {},
    createdAt: createdAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
  });
}
