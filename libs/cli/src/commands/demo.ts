import { createAuditClient } from '@audit/audit-client';
import { parseDuration } from '@audit/platform';
import { demoEvents } from '../demo-events';
import type { CliConfig } from '../config';
import { emitterIdentity } from './emitter';
import { required, UsageError, type Output } from '../output';

/**
 * `demo --org <org> --events <n> [--span 7d] [--seed 42]`: publishes realistic events of all 34 types on the
 * bus (`audit.ingest.<org>`) through the client library, exactly as an emitting service would.
 */
export async function demoCommand(config: CliConfig, values: Record<string, string | boolean | undefined>, out: Output): Promise<void> {
  const org = required(values, 'org');
  const count = Number(typeof values['events'] === 'string' ? values['events'] : '1000');
  if (!Number.isInteger(count) || count < 1 || count > 10_000_000) throw new UsageError('--events must be an integer between 1 and 10000000');
  const spanMs = parseDuration(typeof values['span'] === 'string' ? values['span'] : '7d');
  if (spanMs === undefined) throw new UsageError('--span must be a duration such as 24h or 7d');
  const seed = Number(typeof values['seed'] === 'string' ? values['seed'] : '42');
  // As the organization's emitter user: the bus lets it publish audit.ingest.<org> and nothing else.
  const natsUrl = config.natsUrl ?? 'nats://127.0.0.1:4222';
  const client = await createAuditClient({ natsUrl: natsUrl.split(','), ...(await emitterIdentity(org, config)) });
  const started = Date.now();
  let sent = 0;
  try {
    const events = demoEvents(org, count, { spanMs, seed });
    for (let i = 0; i < events.length; i += 1000) {
      const { ids } = await client.emitBatch(events.slice(i, i + 1000));
      sent += ids.length;
    }
  } finally {
    await client.close();
  }
  const seconds = (Date.now() - started) / 1000;
  out.result({ organizationId: org, published: sent, seconds }, () => [`published ${sent} events for "${org}" in ${seconds.toFixed(1)} s`]);
}
