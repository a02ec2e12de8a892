import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, provisionStreams, readMessagingConfig, streamConfigs } from '@audit/messaging';
import { parseStreamsFile, renderStreamsFile, StreamChangeRecorder, StreamsCatalog } from '@audit/streams';
import { assertBusReachable } from '../bus-reachable';
import { action, NEEDS, type CliSession } from '../cli-context';
import { readOptionFile } from '../option-file';
import { nonEmpty, orgOption } from '../options';

/** A streams file's size limit: a stream is a few hundred bytes, so 16 MiB holds tens of thousands. */
const STREAMS_FILE_MAX_BYTES = 16 * 2 ** 20;
import { cliActor } from './keys';

/**
 * `streams provision`: creates the AUDIT_* streams, or updates their settings (STREAM_*, DLQ_MAX_AGE),
 * as the NATS user of the environment. Where services run with NATS_PROVISION_STREAMS=false (they may not
 * touch streams), the operator runs this as the provisioner before the services and after a settings change.
 *
 * `streams apply --org <org> -f streams.yaml`: makes the organization's streams match the file (creates,
 * updates, deletes; applying it again changes nothing). `streams export --org <org> [-f file]` writes them
 * (without secrets). Both work on Postgres directly, as the streams API does; the streams service picks the
 * changes up within STREAMS_REFRESH_INTERVAL. Each change `apply` makes is recorded first, as the API's are
 * (UPDATE_ORGANIZATION, `setting: "streams"`, `via: "cli"`), so it needs the bus: without it nothing is written.
 */
export function streamsCommand(program: Command, session: CliSession): void {
  const streams = program.command('streams').description("the platform's JetStream streams, and organizations' streams to their own destinations");
  const catalog = async (): Promise<StreamsCatalog> => (await session.context()).get(StreamsCatalog);

  streams
    .command('provision')
    .description('create or update the AUDIT_* streams, as the NATS user of the environment (the provisioner)')
    .addHelpText('after', '\nExamples:\n  $ NATS_USER=provisioner NATS_PASSWORD=… npm run cli -- streams provision --json   # {"streams":["AUDIT_INGEST","AUDIT_EVENTS","AUDIT_DLQ"]}')
    .action(
      action(session, NEEDS.nats, async ({ out }) => {
        const config = readMessagingConfig();
        const nc = await connect({ ...natsConnectOptions(config.nats), timeout: 10_000 });
        try {
          await provisionStreams(await jetstreamManager(nc), config);
        } finally {
          await nc.close();
        }
        const names = streamConfigs(config).map((s) => s.name);
        out.result({ streams: names }, () => [`streams provisioned: ${names.join(', ')}`]);
      }),
    );

  streams
    .command('apply')
    .description("make an organization's streams match a YAML file: create, update, delete (applying it again changes nothing)")
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('-f, --file <path>', 'the streams file (${VAR} is read from the environment, for secrets)').argParser(nonEmpty(4096)).makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- streams apply --org acme -f streams.yaml\n  $ npm run cli -- streams apply --org acme -f streams.yaml --json   # {"created":[…],"updated":[…],"deleted":[…],"unchanged":[…]}')
    .action(
      action<{ org: string; file: string }>(session, NEEDS.both, async ({ options, out }) => {
        const entries = parseStreamsFile(await readOptionFile('-f', options.file, STREAMS_FILE_MAX_BYTES));
        await assertBusReachable('streams apply');
        const context = await session.context(false, true);
        const changes = context.get(StreamChangeRecorder);
        const actor = { organizationId: options.org, ...cliActor() };
        const result = await context.get(StreamsCatalog).apply(options.org, entries, (change) => changes.before(actor, change));
        out.result(result, () =>
          (['created', 'updated', 'deleted', 'unchanged'] as const).map((what) => `${what}: ${result[what].length === 0 ? '-' : result[what].join(', ')}`),
        );
      }),
    );

  streams
    .command('export')
    .description("write an organization's streams as a YAML file for streams apply (secrets left out)")
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('-f, --file <path>', 'write here instead of stdout').argParser(nonEmpty(4096)))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- streams export --org acme > streams.yaml\n  $ npm run cli -- streams export --org acme -f streams.yaml')
    .action(
      action<{ org: string; file?: string }>(session, NEEDS.postgres, async ({ options, out }) => {
        const text = renderStreamsFile(await (await catalog()).export(options.org));
        if (options.file) {
          writeFileSync(options.file, text);
          out.result({ file: options.file }, () => [`streams of ${options.org} written to ${options.file}`]);
        } else session.io.stdout(text);
      }),
    );
}
