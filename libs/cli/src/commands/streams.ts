import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, provisionStreams, readMessagingConfig, streamConfigs } from '@audit/messaging';
import { UsageError, type Output } from '../output';

/**
 * `streams provision`: creates the AUDIT_* streams, or updates their settings (STREAM_*, DLQ_MAX_AGE),
 * as the NATS user of the environment. Where services run with NATS_PROVISION_STREAMS=false (they may not
 * touch streams), the operator runs this as the provisioner before the services and after a settings change.
 */
export async function streamsCommand(action: string | undefined, out: Output): Promise<void> {
  if (action !== 'provision') throw new UsageError(`unknown streams action "${action ?? ''}" (provision)`);
  const config = readMessagingConfig();
  const nc = await connect({ ...natsConnectOptions(config.nats), timeout: 10_000 });
  try {
    await provisionStreams(await jetstreamManager(nc), config);
  } finally {
    await nc.close();
  }
  const streams = streamConfigs(config).map((s) => s.name);
  out.result({ streams }, () => [`streams provisioned: ${streams.join(', ')}`]);
}
