import { userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ActivityRecorder } from '@audit/messaging';
import { RetentionPoliciesRepository } from '@audit/persistence';
import { JsonLogger } from '@audit/platform';
import { MAX_RETENTION_DAYS, RetentionRunner, RetentionRunnerModule, toSettingsResponse, type RetentionRunReport } from '@audit/retention';
import { action, NEEDS, type CliSession } from '../cli-context';
import { integerParser, nonEmpty, orgOption } from '../options';
import { renderTable, UsageError } from '../output';
import { assertBusReachable } from '../bus-reachable';

/** `retention run` needs ClickHouse as well as Postgres; the other actions only Postgres. */
@Module({ imports: [RetentionRunnerModule] })
class RetentionRunCliModule {}

type Policy = ReturnType<typeof toSettingsResponse>;

/** `--days`: a whole number of days from 0 (keep forever) to MAX_RETENTION_DAYS, or "default". */
export function parseRetentionDays(value: string): number | 'default' {
  // Not null for "default": commander turns a parsed null into an empty string.
  if (value === 'default') return value;
  try {
    return integerParser(0, MAX_RETENTION_DAYS)(value);
  } catch {
    throw new InvalidArgumentError(`Expected a whole number of days from 0 (keep forever) to ${MAX_RETENTION_DAYS}, or "default".`);
  }
}

/** `retention set|show|hold|release` (Postgres) and `retention run` (Postgres and ClickHouse). */
export function retentionCommand(program: Command, session: CliSession): void {
  const retention = program.command('retention').description("per-organization retention, legal holds, and a purge on demand");
  const policies = async (): Promise<RetentionPoliciesRepository> => (await session.context()).get(RetentionPoliciesRepository);
  // Changes are recorded before they are made, as the settings API records them (UPDATE_ORGANIZATION, via "cli").
  // The context with the bus: a change is refused before anything is read or written when the bus cannot record it.
  const changes = async (command: string): Promise<RetentionPoliciesRepository> => {
    await assertBusReachable(`retention ${command}`);
    return (await session.context(false, true)).get(RetentionPoliciesRepository);
  };
  const record = async (organizationId: string, metadata: Record<string, unknown>): Promise<void> => {
    await (await session.context(false, true)).get(ActivityRecorder).record({ organizationId, actionType: 'UPDATE_ORGANIZATION', userId: null, metadata: { ...metadata, via: 'cli' } });
  };

  retention
    .command('set')
    .description('how many days of the organization are kept (0 = forever, default = AUDIT_RETENTION_DAYS)')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--days <n|default>', 'days to keep').argParser(parseRetentionDays).makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- retention set --org acme --days 90\n  $ npm run cli -- retention set --org acme --days default')
    .action(
      action<{ org: string; days: number | 'default' }>(session, NEEDS.both, async ({ options: { org, days: given }, out }) => {
        const days = given === 'default' ? null : given;
        const repo = await changes('set');
        await record(org, { setting: 'retention', days, previousDays: (await repo.get(org)).days });
        const policy = toSettingsResponse(await repo.setDays(org, days));
        out.result(policy, () => [`organization "${org}" keeps ${describeDays(policy.effectiveDays)}${days === null ? ' (the default)' : ''}`]);
      }),
    );

  retention
    .command('show')
    .description("an organization's retention and hold, or without --org the default and every organization that overrides it or is held")
    .addOption(orgOption('only this organization'))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- retention show\n  $ npm run cli -- retention show --org acme --json')
    .action(
      action<{ org?: string }>(session, NEEDS.postgres, async ({ options: { org }, out }) => {
        const repo = await policies();
        if (org) {
          const policy = toSettingsResponse(await repo.get(org));
          out.result(policy, () => [policyLine(policy)]);
          return;
        }
        const items = (await repo.list()).map(toSettingsResponse);
        out.result({ defaultDays: repo.defaultDays, items }, () => [
          `default (AUDIT_RETENTION_DAYS): ${describeDays(repo.defaultDays)}`,
          ...(items.length === 0
            ? ['no organization overrides it or is held']
            : renderTable(
                ['organization', 'keeps', 'setting', 'legal hold'],
                items.map((p) => [p.organizationId, describeDays(p.effectiveDays), p.days === null ? 'default' : 'own', p.legalHold ? `since ${p.legalHold.heldAt}: ${p.legalHold.reason}` : 'no']),
              )),
        ]);
      }),
    );

  retention
    .command('hold')
    .description('legal hold: nothing of the organization is deleted from any store until released')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--reason <text>', 'why (kept with the hold)').argParser(nonEmpty(1000)).makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- retention hold --org acme --reason "litigation 2026-17"')
    .action(
      action<{ org: string; reason: string }>(session, NEEDS.both, async ({ options: { org, reason }, out }) => {
        const repo = await changes('hold');
        await record(org, { setting: 'legalHold', held: true, reason });
        const policy = toSettingsResponse(await repo.hold(org, reason, `cli:${userInfo().username}`));
        out.result(policy, () => [`organization "${org}" is on legal hold: nothing of it is deleted until "retention release --org ${org}"`]);
      }),
    );

  retention
    .command('release')
    .description('lift the legal hold')
    .addOption(orgOption().makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- retention release --org acme')
    .action(
      action<{ org: string }>(session, NEEDS.both, async ({ options: { org }, out }) => {
        const repo = await changes('release');
        if ((await repo.get(org)).hold === null) throw new UsageError(`organization "${org}" is not on legal hold`);
        await record(org, { setting: 'legalHold', held: false });
        if (!(await repo.release(org))) throw new UsageError(`organization "${org}" is not on legal hold`);
        const policy = toSettingsResponse(await repo.get(org));
        out.result(policy, () => [`legal hold of "${org}" released; it keeps ${describeDays(policy.effectiveDays)} again`]);
      }),
    );

  retention
    .command('run')
    .description('purge now, per organization and store (opens ClickHouse like "projections rebuild")')
    .option('--dry-run', 'print what would go, delete nothing')
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- retention run --dry-run\n  $ npm run cli -- retention run --json')
    .action(
      action<{ dryRun?: boolean }>(session, NEEDS.postgres, async ({ options, out }) => {
        const app = await NestFactory.createApplicationContext(RetentionRunCliModule, { logger: new JsonLogger('cli', 'warn') });
        try {
          const report = await app.get(RetentionRunner).run({ dryRun: options.dryRun === true });
          out.result(toJson(report), () => reportLines(report));
          if (!report.ok) throw new Error('some retention steps failed (see retention_runs and the lines above)');
        } finally {
          await app.close();
        }
      }),
    );
}

const describeDays = (days: number): string => (days === 0 ? 'everything forever' : `${days} days`);

function policyLine(p: Policy): string {
  const source = p.days === null ? 'default' : 'own setting';
  const hold = p.legalHold ? `; LEGAL HOLD since ${p.legalHold.heldAt}: ${p.legalHold.reason}` : '';
  return `${p.organizationId}: ${describeDays(p.effectiveDays)} (${source})${hold}`;
}

function toJson(report: RetentionRunReport) {
  return {
    runId: report.runId,
    dryRun: report.dryRun,
    skipped: report.skipped,
    ok: report.ok,
    startedAt: report.startedAt.toISOString(),
    finishedAt: report.finishedAt.toISOString(),
    items: report.outcomes.map((o) => ({ ...o, cutoff: o.cutoff?.toISOString() ?? null })),
    kept: report.kept,
  };
}

function reportLines(report: RetentionRunReport): string[] {
  if (report.skipped) return [`skipped: ${report.skipped}`];
  const verb = report.dryRun ? 'would go' : 'gone';
  const lines = report.outcomes.map((o) => {
    if (o.action === 'inventory') return `${o.store.padEnd(10)} FAILED reading what the store holds, nothing purged there: ${o.error}`;
    if (o.action === 'log_prune') {
      return o.ok ? `log        ${String(o.organizationId).padEnd(24)} ${String(o.rows).padStart(10)} leaves of purged events gone (their proofs' hashes kept)` : `log        ${String(o.organizationId).padEnd(24)} FAILED pruning the log: ${o.error}`;
    }
    const how = o.action === 'partition_drop' ? `whole partition ${o.partition}` : `rows before ${o.cutoff?.toISOString()} in ${o.partition}`;
    return o.ok ? `${o.store.padEnd(10)} ${String(o.organizationId).padEnd(24)} ${String(o.rows).padStart(10)} ${verb}  (${how})` : `${o.store.padEnd(10)} ${String(o.organizationId).padEnd(24)} FAILED ${how}: ${o.error}`;
  });
  if (lines.length === 0) lines.push(`nothing ${report.dryRun ? 'would go' : 'to purge'}: every store keeps only what the policies allow`);
  for (const k of report.kept) lines.push(`${k.store.padEnd(10)} ${k.organizationId.padEnd(24)} kept: ${k.reason === 'hold' ? 'legal hold' : 'kept forever (0 days)'}`);
  lines.push(`${report.dryRun ? 'dry run, nothing deleted' : 'done'} (run ${report.runId})`);
  return lines;
}
