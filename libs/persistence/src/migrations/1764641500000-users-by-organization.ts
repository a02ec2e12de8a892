import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user belongs to its organization. User ids are the emitters' own: keyed by id alone, `users` let the
 * first organization to use an id own it everywhere (the other's snapshots were never stored, and a join
 * on the id showed that first organization's e-mail beside the other's events). The key is now
 * ("organizationId", id); it also serves the per-organization listing, so users_org_idx goes.
 * users_id_idx keeps the reference's join on the id alone (`join users u on a."userId" = u.id`) fast.
 */
export class UsersByOrganization1764641500000 implements MigrationInterface {
  name = 'UsersByOrganization1764641500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_pkey`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY ("organizationId", id)`);
    await q.query(`DROP INDEX users_org_idx`);
    await q.query(`CREATE INDEX users_id_idx ON users (id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX users_id_idx`);
    await q.query(`CREATE INDEX users_org_idx ON users ("organizationId")`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT users_pkey`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id)`);
  }
}
