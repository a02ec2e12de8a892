import { Option, type Command } from 'commander';
import { ProjectionRebuilder } from '@audit/projector';
import { action, NEEDS, type CliSession } from '../cli-context';
import { orgOption, parseDate } from '../options';
import { progressBar, ratePerSecond } from '../progress';

/** `projections rebuild [--org <org>] [--since <date>]`: reloads ClickHouse from Postgres, with a progress bar. */
export function projectionsCommand(program: Command, session: CliSession): void {
  program
    .command('projections')
    .description('the ClickHouse projection, rebuilt from Postgres (the system of record)')
    .command('rebuild')
    .description('reload ClickHouse from Postgres for a scope, with a progress bar; fails if the counts differ afterwards')
    .addOption(orgOption('only this organization'))
    .addOption(new Option('--since <date>', 'only events from this UTC day on (floored, so every rollup is rebuilt whole)').argParser(parseDate))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- projections rebuild\n  $ npm run cli -- projections rebuild --org acme --since 2026-11-01')
    .action(
      action<{ org?: string; since?: Date }>(session, NEEDS.postgres, async ({ options: { org, since }, out }) => {
        const rebuilder = (await session.context(true)).get(ProjectionRebuilder);
        const started = Date.now();
        const result = await rebuilder.rebuild({ organizationId: org, since }, (done, total) =>
          session.progress(`\r${progressBar(done, total)} ${done}/${total} rows, ${ratePerSecond(done, started)} rows/s`),
        );
        session.progress('\n');
        const matches = result.clickhouse === result.postgres;
        out.result({ ...result, matches, seconds: (Date.now() - started) / 1000 }, () => [
          `rebuilt ${org ? `organization "${org}"` : 'every organization'}${result.since ? ` since ${result.since}` : ''}: ${result.inserted} rows inserted`,
          `rows in Postgres: ${result.postgres}, in ClickHouse: ${result.clickhouse}${matches ? ' (match)' : ' (MISMATCH: events arrived or were purged during the rebuild; run it again)'}`,
        ]);
        if (!matches) throw new Error('ClickHouse and Postgres counts differ after the rebuild');
      }),
    );
}
