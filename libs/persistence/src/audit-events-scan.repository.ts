import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { Database } from './database';

/** Which stored events a scan covers: one organization or all, from an instant on or from the start. */
export interface StoredEventsScope {
  organizationId?: string;
  since?: Date;
}

/**
 * A stored event as the scan reads it: the event's columns of audit_trail_events (`a.*`, so a new field
 * comes along) and its user's snapshot from users, whose columns may each be null.
 */
export type StoredEventRow = Omit<AuditEvent, 'schemaVersion' | 'user' | 'metadata' | 'createdAt' | 'receivedAt'> & {
  email: string | null;
  userName: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  receivedAt: Date;
};

/**
 * Reads the whole of a scope of `audit_trail_events` (what a projection rebuild reloads): a count, and
 * the rows in pages through a cursor over one read-only snapshot, so memory stays bounded whatever the
 * scope. Both may rightly run long, so neither has a client-side timeout.
 */
@Injectable()
export class AuditEventsScanRepository {
  constructor(private readonly db: Database) {}

  async count(scope: StoredEventsScope): Promise<number> {
    const { where, params } = scopeWhere(scope);
    const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_trail_events a ${where}`, params, { timeout: false });
    return Number(rows[0].n);
  }

  /** Hands the scope's rows to `onPage`, `pageSize` at a time, in no particular order; the next page is read once `onPage` resolved. */
  async scan(scope: StoredEventsScope, pageSize: number, onPage: (rows: StoredEventRow[]) => Promise<void>): Promise<void> {
    const { where, params } = scopeWhere(scope);
    await this.db.transaction(
      async (sql) => {
        await sql.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        await sql.query(
          `DECLARE scan_cursor NO SCROLL CURSOR FOR
           SELECT a.*, u.email, u."userName"
           FROM audit_trail_events a
           LEFT JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"
           ${where}`,
          params,
        );
        for (;;) {
          const page = await sql.query<StoredEventRow & Record<string, unknown>>(`FETCH ${Math.max(1, Math.floor(pageSize))} FROM scan_cursor`);
          if (page.rows.length === 0) return;
          await onPage(page.rows);
        }
      },
      { timeout: false },
    );
  }
}

function scopeWhere(scope: StoredEventsScope): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (scope.organizationId) conditions.push(`a."organizationId" = $${params.push(scope.organizationId)}`);
  if (scope.since) conditions.push(`a."createdAt" >= $${params.push(scope.since.toISOString())}`);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
