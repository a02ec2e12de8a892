import { userInfo } from 'node:os';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RetentionPoliciesRepository } from '@audit/persistence';
import { JsonLogger } from '@audit/platform';
import { MAX_RETENTION_DAYS, RetentionRunner, RetentionRunnerModule, toSettingsResponse, type RetentionRunReport } from '@audit/retention';
import { required, UsageError, type Output } from '../output';

/** `retention run` needs ClickHouse as well as Postgres; the other actions only Postgres. */
@Module({ imports: [RetentionRunnerModule] })
class RetentionRunCliModule {}

const USAGE =
  'usage: retention set --org <org> --days <n|default> | retention show [--org <org>] | retention hold --org <org> --reason <text> | ' +
  'retention release --org <org> | retention run [--dry-run]';

/** `retention set|show|hold|release|run`: policies, legal holds, and a run on demand. */
export async function retentionCommand(
  context: () => Promise<INestApplicationContext>,
  action: string | undefined,
  values: Record<string, string | boolean | undefined>,
  out: Output,
): Promise<void> {
  const policies = async (): Promise<RetentionPoliciesRepository> => (await context()).get(RetentionPoliciesRepository);
  switch (action) {
    case 'set': {
      const org = required(values, 'org');
      const days = parseDays(required(values, 'days'));
      const policy = toSettingsResponse(await (await policies()).setDays(org, days));
      out.result(policy, () => [`organization "${org}" keeps ${describeDays(policy.effectiveDays)}${days === null ? ' (the default)' : ''}`]);
      return;
    }
    case 'show': {
      const repo = await policies();
      const org = typeof values['org'] === 'string' ? values['org'] : undefined;
      if (org) {
        const policy = toSettingsResponse(await repo.get(org));
        out.result(policy, () => [policyLine(policy)]);
        return;
      }
      const items = (await repo.list()).map(toSettingsResponse);
      out.result({ defaultDays: repo.defaultDays, items }, () => [
        `default (AUDIT_RETENTION_DAYS): ${describeDays(repo.defaultDays)}`,
        ...(items.length === 0 ? ['no organization overrides it or is held'] : items.map(policyLine)),
      ]);
      return;
    }
    case 'hold': {
      const org = required(values, 'org');
      const reason = required(values, 'reason');
      const policy = toSettingsResponse(await (await policies()).hold(org, reason, `cli:${userInfo().username}`));
      out.result(policy, () => [`organization "${org}" is on legal hold: nothing of it is deleted until "retention release --org ${org}"`]);
      return;
    }
    case 'release': {
      const org = required(values, 'org');
      const released = await (await policies()).release(org);
      if (!released) throw new UsageError(`organization "${org}" is not on legal hold`);
      const policy = toSettingsResponse(await (await policies()).get(org));
      out.result(policy, () => [`legal hold of "${org}" released; it keeps ${describeDays(policy.effectiveDays)} again`]);
      return;
    }
    case 'run': {
      const dryRun = values['dry-run'] === true;
      const app = await NestFactory.createApplicationContext(RetentionRunCliModule, { logger: new JsonLogger('cli', 'warn') });
      try {
        const report = await app.get(RetentionRunner).run({ dryRun });
        out.result(toJson(report), () => reportLines(report));
        if (!report.ok) throw new Error('some retention steps failed (see retention_runs and the lines above)');
      } finally {
        await app.close();
      }
      return;
    }
    default:
      throw new UsageError(USAGE);
  }
}

function parseDays(text: string): number | null {
  if (text === 'default') return null;
  if (!/^\d+$/.test(text) || Number(text) > MAX_RETENTION_DAYS) {
    throw new UsageError(`--days must be an integer from 0 (keep forever) to ${MAX_RETENTION_DAYS}, or "default" (got "${text}")`);
  }
  return Number(text);
}

const describeDays = (days: number): string => (days === 0 ? 'everything forever' : `${days} days`);

function policyLine(p: ReturnType<typeof toSettingsResponse>): string {
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
    const how = o.action === 'partition_drop' ? `whole partition ${o.partition}` : `rows before ${o.cutoff?.toISOString()} in ${o.partition}`;
    return o.ok ? `${o.store.padEnd(10)} ${String(o.organizationId).padEnd(24)} ${String(o.rows).padStart(10)} ${verb}  (${how})` : `${o.store.padEnd(10)} ${String(o.organizationId).padEnd(24)} FAILED ${how}: ${o.error}`;
  });
  if (lines.length === 0) lines.push(`nothing ${report.dryRun ? 'would go' : 'to purge'}: every store keeps only what the policies allow`);
  for (const k of report.kept) lines.push(`${k.store.padEnd(10)} ${k.organizationId.padEnd(24)} kept: ${k.reason === 'hold' ? 'legal hold' : 'kept forever (0 days)'}`);
  lines.push(`${report.dryRun ? 'dry run, nothing deleted' : 'done'} (run ${report.runId})`);
  return lines;
}
