import type { Command } from 'commander';
import { ClickHouse } from '@audit/clickhouse';
import { Database } from '@audit/persistence';
import { action, NEEDS, type CliSession } from '../cli-context';

/** `migrate`: applies pending Postgres and ClickHouse migrations, each under its advisory lock, and lists them. */
export function migrateCommand(program: Command, session: CliSession): void {
  program
    .command('migrate')
    .description('apply pending Postgres and ClickHouse migrations (every service also does at start, under advisory locks)')
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- migrate\n  $ npm run cli -- migrate --json   # {"applied":[…],"clickhouse":[…]}')
    .action(
      action(session, NEEDS.postgres, async ({ out }) => {
        // Migrations are this command's own output; opening the context must not apply them silently first.
        process.env.MIGRATE_ON_START = 'false';
        const ctx = await session.context(true);
        const applied = await ctx.get(Database).migrate();
        const clickhouse = await ctx.get(ClickHouse).migrate();
        out.result({ applied, clickhouse }, () =>
          applied.length === 0 && clickhouse.length === 0
            ? ['schema is up to date']
            : [...applied.map((name) => `applied ${name}`), ...clickhouse.map((name) => `applied ClickHouse ${name}`)],
        );
      }),
    );
}
