import { Option, type Command } from 'commander';
import { ApiKeysService } from '@audit/auth';
import { action, NEEDS, type CliSession } from '../cli-context';
import { nonEmpty, orgOption, parseUuid } from '../options';
import { renderTable } from '../output';

/** `keys create --org <org> [--name <name>]`, `keys list [--org <org>]`, `keys revoke --id <id>`: Postgres only. */
export function keysCommand(program: Command, session: CliSession): void {
  const keys = program.command('keys').description('ingest API keys: create (shown once), list, revoke');
  const service = async (): Promise<ApiKeysService> => (await session.context()).get(ApiKeysService);

  keys
    .command('create')
    .description('create an ingest key for one organization; the key is printed once and only its hash is stored')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--name <name>', 'a label for the key').default('default').argParser(nonEmpty(200)))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- keys create --org acme\n  $ npm run cli -- keys create --org acme --name ci --json   # {"key":"audk_…","id":"…","organizationId":"acme","name":"ci"}')
    .action(
      action<{ org: string; name: string }>(session, NEEDS.postgres, async ({ options, out }) => {
        const { key, record } = await (await service()).create(options.org, options.name);
        out.result({ key, id: record.id, organizationId: record.organizationId, name: record.name }, () => [
          `Ingest key for organization "${options.org}" (shown once, store it now):`,
          key,
          `id: ${record.id}`,
        ]);
      }),
    );

  keys
    .command('list')
    .description('list keys (their prefix, never the keys themselves)')
    .addOption(orgOption('only this organization'))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- keys list\n  $ npm run cli -- keys list --org acme --json')
    .action(
      action<{ org?: string }>(session, NEEDS.postgres, async ({ options, out }) => {
        const records = await (await service()).list(options.org);
        out.result({ items: records }, () =>
          records.length === 0
            ? ['no keys']
            : renderTable(
                ['id', 'organization', 'name', 'prefix', 'created', 'status'],
                records.map((r) => [r.id, r.organizationId, r.name, `${r.keyPrefix}…`, r.createdAt, r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active']),
              ),
        );
      }),
    );

  keys
    .command('revoke')
    .description('revoke a key (ingest refuses it within AUTH_KEY_CACHE_TTL)')
    .addOption(new Option('--id <id>', 'the key id, as "keys list" prints it').argParser(parseUuid).makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- keys revoke --id 0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d')
    .action(
      action<{ id: string }>(session, NEEDS.postgres, async ({ options, out }) => {
        const revoked = await (await service()).revoke(options.id);
        if (!revoked) throw new Error(`no active key with id ${options.id} (see "keys list")`);
        out.result({ revoked: options.id }, () => [`revoked ${options.id}`]);
      }),
    );
}
