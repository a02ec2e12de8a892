import type { AuditEvent } from '@audit/contracts';
import type { TestDatabase } from './test-database';

/**
 * A row of audit_trail_events, column for column (the event's fields but the user snapshot, which users
 * holds), as tests put known data straight into the system of record.
 */
export type StoredEventRow = Omit<AuditEvent, 'schemaVersion' | 'user' | 'actionType' | 'createdAt' | 'receivedAt'> & {
  /** Any text, so tests can store what ingest would refuse. */
  actionType: string;
  createdAt: string | Date;
  receivedAt: string | Date;
};

/** Inserts the rows in one statement (Postgres maps the JSON objects onto the table's columns by name). */
export async function insertStoredEvents(db: TestDatabase, rows: readonly StoredEventRow[]): Promise<void> {
  await db.query(`INSERT INTO audit_trail_events SELECT * FROM json_populate_recordset(null::audit_trail_events, $1)`, [JSON.stringify(rows)]);
}
