import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A search reads from Postgres the events received after the projector's high-water mark (libs/query,
 * events-search.ts): a few seconds' worth, found by "receivedAt" across every monthly partition. Rows are
 * appended as they are received, so "receivedAt" follows the physical order within each partition and a
 * BRIN index (a few pages per partition, next to nothing to maintain on the insert path) narrows that read
 * to the last block ranges of each partition.
 */
export class ReceivedAtBrin1764727800000 implements MigrationInterface {
  name = 'ReceivedAtBrin1764727800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX audit_trail_events_received_brin ON audit_trail_events USING brin ("receivedAt") WITH (pages_per_range = 16)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_trail_events_received_brin`);
  }
}
