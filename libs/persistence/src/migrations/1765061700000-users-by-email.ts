import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A search's `user:` by e-mail looks the organization's users up by `lower(email)` twice a page: once to
 * hand ClickHouse their ids (SearchUsersRepository) and once when the page's rows are read back by id and
 * re-checked against the search (the system of record has the last word). Without an index each was a
 * sequential scan of every organization's users (~5 ms at 4,000 users under load, growing with the
 * directory); with this one, an index probe.
 */
export class UsersByEmail1765061700000 implements MigrationInterface {
  name = 'UsersByEmail1765061700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX users_org_email_idx ON users ("organizationId", lower(email))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_org_email_idx`);
  }
}
