import { readFileSync, writeFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsConnectOptions, provisionStreams, readMessagingConfig, streamConfigs } from '@audit/messaging';
import { parseStreamsFile, renderStreamsFile, StreamsCatalog } from '@audit/streams';
import { required, UsageError, type Output } from '../output';

/**
 * `streams provision`: creates the AUDIT_* streams, or updates their settings (STREAM_*, DLQ_MAX_AGE),
 * as the NATS user of the environment. Where services run with NATS_PROVISION_STREAMS=false (they may not
 * touch streams), the operator runs this as the provisioner before the services and after a settings change.
 */
export async function streamsCommand(
  context: () => Promise<INestApplicationContext>,
  action: string | undefined,
  values: Record<string, string | boolean | undefined>,
  out: Output,
): Promise<void> {
  if (action === 'apply' || action === 'export') return organizationStreamsCommand(context, action, values, out);
  if (action !== 'provision') throw new UsageError(`unknown streams action "${action ?? ''}" (provision, apply, export)`);
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

/**
 * `streams apply --org <org> -f streams.yaml`: makes the organization's streams match the file (creates,
 * updates, deletes; applying it again changes nothing). `streams export --org <org> [-f file]` writes them
 * (without secrets). Both work on Postgres directly, as the streams API does; the streams service picks the
 * changes up within STREAMS_REFRESH_INTERVAL.
 */
async function organizationStreamsCommand(
  context: () => Promise<INestApplicationContext>,
  action: 'apply' | 'export',
  values: Record<string, string | boolean | undefined>,
  out: Output,
): Promise<void> {
  const org = required(values, 'org');
  if (action === 'apply') {
    const file = required(values, 'file');
    const entries = parseStreamsFile(readFileSync(file, 'utf8'));
    const result = await (await context()).get(StreamsCatalog).apply(org, entries);
    out.result(result, () =>
      (['created', 'updated', 'deleted', 'unchanged'] as const).map((what) => `${what}: ${result[what].length === 0 ? '-' : result[what].join(', ')}`),
    );
    return;
  }
  const text = renderStreamsFile(await (await context()).get(StreamsCatalog).export(org));
  const file = typeof values['file'] === 'string' ? values['file'] : undefined;
  if (file) {
    writeFileSync(file, text);
    out.result({ file }, () => [`streams of ${org} written to ${file}`]);
  } else process.stdout.write(text);
}
