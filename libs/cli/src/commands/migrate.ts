import type { INestApplicationContext } from '@nestjs/common';
import { ClickHouse } from '@audit/clickhouse';
import { Database } from '@audit/persistence';
import type { Output } from '../output';

/** `migrate`: applies pending Postgres and ClickHouse migrations, each under its advisory lock, and lists them. */
export async function migrateCommand(ctx: INestApplicationContext, out: Output): Promise<void> {
  const applied = await ctx.get(Database).migrate();
  const clickhouse = await ctx.get(ClickHouse).migrate();
  out.result({ applied, clickhouse }, () =>
    applied.length === 0 && clickhouse.length === 0
      ? ['schema is up to date']
      : [...applied.map((name) => `applied ${name}`), ...clickhouse.map((name) => `applied ClickHouse ${name}`)],
  );
}
