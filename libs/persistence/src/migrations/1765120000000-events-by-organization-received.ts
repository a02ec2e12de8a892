import type { MigrationInterface, QueryRunner } from 'typeorm';

const INDEX = 'audit_trail_events_org_received_idx';
const COLUMNS = '("organizationId", "receivedAt")';

/**
 * A search page reads from Postgres one organization's events received after the projector's mark less
 * SEARCH_FRESHNESS_MARGIN (libs/query, EventsReadRepository.recentKeys), beside ClickHouse's statement, on
 * every page. Through the "receivedAt" BRIN index that read scans each partition's whole BRIN (a range per
 * 16 pages: its cost grows with the table) and then every event of every organization in the newest ranges:
 * 3-4 ms a page at 10M events even when it finds nothing. This btree answers it with one probe per partition.
 *
 * Built without blocking the writer on a large table: the parent's index is declared ON ONLY (invalid,
 * instant), each partition's is built CONCURRENTLY (which cannot run inside a transaction, hence
 * `transaction = false`) and attached; the parent's becomes valid once every partition's is attached, and
 * partitions created afterwards get theirs with the table. A build interrupted half way leaves an invalid
 * index, which the next run drops and builds again.
 */
export class EventsByOrganizationReceived1765120000000 implements MigrationInterface {
  name = 'EventsByOrganizationReceived1765120000000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS ${INDEX} ON ONLY audit_trail_events ${COLUMNS}`);
    const partitions: Array<{ name: string }> = await q.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_trail_events'::regclass ORDER BY 1`,
    );
    for (const { name } of partitions) {
      const index = `${name}_org_received_idx`;
      const [existing]: Array<{ valid: boolean }> = await q.query(
        `SELECT x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`,
        [index],
      );
      if (existing && !existing.valid) await q.query(`DROP INDEX CONCURRENTLY "${index}"`);
      if (!existing || !existing.valid) await q.query(`CREATE INDEX CONCURRENTLY "${index}" ON "${name}" ${COLUMNS}`);
      const [attached]: Array<{ n: number }> = await q.query(
        `SELECT count(*)::int AS n FROM pg_inherits WHERE inhrelid = $1::regclass AND inhparent = $2::regclass`,
        [`"${index}"`, INDEX],
      );
      if (attached.n === 0) await q.query(`ALTER INDEX ${INDEX} ATTACH PARTITION "${index}"`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ${INDEX}`);
  }
}
