import type { TestDatabase } from './test-database';

/** A row of audit_trail_events, column for column, as tests put known data straight into the system of record. */
export interface StoredEventRow {
  id: string;
  organizationId: string;
  actionType: string;
  userId: string | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  metadata: Record<string, unknown>;
  createdAt: string | Date;
  receivedAt: string | Date;
}

/** Inserts the rows in one statement (Postgres maps the JSON objects onto the table's columns by name). */
export async function insertStoredEvents(db: TestDatabase, rows: readonly StoredEventRow[]): Promise<void> {
  await db.query(`INSERT INTO audit_trail_events SELECT * FROM json_populate_recordset(null::audit_trail_events, $1)`, [JSON.stringify(rows)]);
}
