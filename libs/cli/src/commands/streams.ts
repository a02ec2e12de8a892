import type { Command } from 'commander';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, provisionStreams, readMessagingConfig, streamConfigs } from '@audit/messaging';
import { action, NEEDS, type CliSession } from '../cli-context';

/**
 * `streams provision`: creates the AUDIT_* streams, or updates their settings (STREAM_*, DLQ_MAX_AGE),
 * as the NATS user of the environment. Where services run with NATS_PROVISION_STREAMS=false (they may not
 * touch streams), the operator runs this as the provisioner before the services and after a settings change.
 */
export function streamsCommand(program: Command, session: CliSession): void {
  program
    .command('streams')
    .description('the JetStream streams of the platform')
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
        const streams = streamConfigs(config).map((s) => s.name);
        out.result({ streams }, () => [`streams provisioned: ${streams.join(', ')}`]);
      }),
    );
}
