import type { INestApplicationContext } from '@nestjs/common';
import { ProjectionRebuilder } from '@audit/projector';
import { UsageError, type Output } from '../output';

/** `projections rebuild [--org <org>] [--since <date>]`: reloads ClickHouse from Postgres, with a progress bar. */
export async function projectionsCommand(
  context: () => Promise<INestApplicationContext>,
  action: string | undefined,
  values: Record<string, string | boolean | undefined>,
  out: Output,
  progress: (line: string) => void = (line) => process.stderr.write(line),
): Promise<void> {
  if (action !== 'rebuild') throw new UsageError('usage: projections rebuild [--org <org>] [--since <date>]');
  const org = typeof values['org'] === 'string' ? values['org'] : undefined;
  let since: Date | undefined;
  if (typeof values['since'] === 'string') {
    since = new Date(values['since']);
    if (Number.isNaN(since.getTime())) throw new UsageError(`--since must be an ISO-8601 date (got "${values['since']}")`);
  }
  const rebuilder = (await context()).get(ProjectionRebuilder);
  const started = Date.now();
  const result = await rebuilder.rebuild({ organizationId: org, since }, (done, total) => progress(`\r${bar(done, total)} ${done}/${total} rows, ${rate(done, started)} rows/s`));
  progress('\n');
  const matches = result.clickhouse === result.postgres;
  out.result({ ...result, matches, seconds: (Date.now() - started) / 1000 }, () => [
    `rebuilt ${org ? `organization "${org}"` : 'every organization'}${result.since ? ` since ${result.since}` : ''}: ${result.inserted} rows inserted`,
    `rows in Postgres: ${result.postgres}, in ClickHouse: ${result.clickhouse}${matches ? ' (match)' : ' (MISMATCH: events arrived or were purged during the rebuild; run it again)'}`,
  ]);
  if (!matches) throw new Error('ClickHouse and Postgres counts differ after the rebuild');
}

function bar(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`;
}

function rate(done: number, started: number): string {
  return (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0);
}
