import { Option, type Command } from 'commander';
import { ApiKeysService } from '@audit/auth';
import { IngestKeysAdministration, type SettingsActor } from '@audit/settings';
import { AppError } from '@audit/platform';
import { action, NEEDS, type CliSession } from '../cli-context';
import { nonEmpty, orgOption, parseUuid } from '../options';
import { renderTable } from '../output';
import { assertBusReachable } from '../bus-reachable';

/** `keys create --org <org> [--name <name>]`, `keys list [--org <org>]`, `keys revoke --id <id>`: Postgres only. */
export function keysCommand(program: Command, session: CliSession): void {
  const keys = program.command('keys').description('ingest API keys: create (shown once), list, revoke');
  const service = async (): Promise<ApiKeysService> => (await session.context()).get(ApiKeysService);
  // Creating and revoking go through the settings API's use case, so the CLI's changes are recorded too.
  const administration = async (): Promise<IngestKeysAdministration> => (await session.context(false, true)).get(IngestKeysAdministration);

  keys
    .command('create')
    .description('create an ingest key for one organization; the key is printed once and only its hash is stored')
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--name <name>', 'a label for the key').default('default').argParser(nonEmpty(200)))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- keys create --org acme\n  $ npm run cli -- keys create --org acme --name ci --json   # {"key":"audk_…","id":"…","organizationId":"acme","name":"ci"}')
    .action(
      action<{ org: string; name: string }>(session, NEEDS.both, async ({ options, out }) => {
        await assertBusReachable('keys create');
        const { key, view } = await (await administration()).create(options.org, options.name, cliActor());
        out.result({ key, id: view.id, organizationId: view.organizationId, name: view.name }, () => [
          `Ingest key for organization "${options.org}" (shown once, store it now):`,
          key,
          `id: ${view.id}`,
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
      action<{ id: string }>(session, NEEDS.both, async ({ options, out }) => {
        const keys = await administration();
        const org = await keys.organizationOf(options.id);
        if (org === undefined) throw new Error(`no active key with id ${options.id} (see "keys list")`);
        await assertBusReachable('keys revoke');
        await keys.revoke(org, options.id, cliActor()).catch((error: unknown) => {
          throw error instanceof AppError && error.code === 'NOT_FOUND' ? new Error(`no active key with id ${options.id} (see "keys list")`) : error;
        });
        out.result({ revoked: options.id }, () => [`revoked ${options.id}`]);
      }),
    );
}

/** The CLI has no platform user: its changes are recorded with no userId and `via: "cli"` (the OS user in the log line is not trusted). */
export const cliActor = (): SettingsActor => ({ userId: null, ipAddress: null, via: 'cli' });
