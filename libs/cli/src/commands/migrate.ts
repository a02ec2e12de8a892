import type { INestApplicationContext } from '@nestjs/common';
import { Database, runMigrations } from '@audit/persistence';
import type { Output } from '../output';

/** `migrate`: applies pending Postgres migrations under the advisory lock and lists them. */
export async function migrateCommand(ctx: INestApplicationContext, out: Output): Promise<void> {
  const applied = await runMigrations(ctx.get(Database).dataSource);
  out.result({ applied }, () => (applied.length === 0 ? ['schema is up to date'] : applied.map((name) => `applied ${name}`)));
}
