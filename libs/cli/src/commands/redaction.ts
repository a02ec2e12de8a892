import { Option, type Command } from 'commander';
import { RedactionRulesRepository } from '@audit/persistence';
import { HiddenParametersAdministration } from '@audit/settings';
import { action, NEEDS, type CliSession } from '../cli-context';
import { nonEmpty, orgOption } from '../options';
import { renderTable, UsageError } from '../output';
import { cliActor } from './keys';

type RuleOptions = { org: string; query: string };

/** `redaction hide-parameters|show-parameters --org <org> --query <queryName>`, `redaction list [--org <org>]`: Postgres only. */
export function redactionCommand(program: Command, session: CliSession): void {
  const redaction = program.command('redaction').description("hide the parameters of named queries from an organization's events, before they are stored");
  const rules = async (): Promise<RedactionRulesRepository> => (await session.context()).get(RedactionRulesRepository);
  // Changes go through the settings API's use case, so they are recorded as the API's are.
  const hidden = async (): Promise<HiddenParametersAdministration> => (await session.context(false, true)).get(HiddenParametersAdministration);
  // The event contract allows query names of up to 1024 characters.
  const queryOption = () => new Option('--query <queryName>', "the query's name, exactly as events carry it in queryName").argParser(nonEmpty(1024)).makeOptionMandatory();

  redaction
    .command('hide-parameters')
    .description('hide the parameters of that query in events ingested from now on')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(queryOption())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- redaction hide-parameters --org acme --query getSecrets')
    .action(
      action<RuleOptions>(session, NEEDS.both, async ({ options: { org, query }, out }) => {
        await (await hidden()).set(org, query, true, cliActor());
        out.result({ organizationId: org, queryName: query, hideParameters: true }, () => [
          `parameters of query "${query}" are now hidden for organization "${org}" (events ingested from now on; a running ingest applies it within REDACTION_CACHE_TTL, 5s by default)`,
        ]);
      }),
    );

  redaction
    .command('show-parameters')
    .description('remove the rule: parameters of that query are stored again')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(queryOption())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- redaction show-parameters --org acme --query getSecrets')
    .action(
      action<RuleOptions>(session, NEEDS.both, async ({ options: { org, query }, out }) => {
        const removed = await (await hidden()).set(org, query, false, cliActor());
        if (!removed) throw new UsageError(`no rule hides the parameters of "${query}" for "${org}" (see "redaction list")`);
        out.result({ organizationId: org, queryName: query, hideParameters: false }, () => [`parameters of query "${query}" are logged again for "${org}"`]);
      }),
    );

  redaction
    .command('list')
    .description('list the rules')
    .addOption(orgOption('only this organization'))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- redaction list --org acme')
    .action(
      action<{ org?: string }>(session, NEEDS.postgres, async ({ options, out }) => {
        const list = await (await rules()).list(options.org);
        out.result({ items: list }, () =>
          list.length === 0 ? ['no rules'] : renderTable(['organization', 'query', 'rule', 'since'], list.map((r) => [r.organizationId, r.queryName, 'hide parameters', r.createdAt])),
        );
      }),
    );
}
