import type { DestinationSecrets } from '@audit/contracts';
import type { StreamRecord } from '../model';
import { reachOf, type Resolver } from '../network-guard';
import { DatadogSender } from './datadog';
import { S3Sender } from './s3';
import type { BatchShape, Sender } from './sender';
import { SplunkSender } from './splunk';
import { SyslogSender } from './syslog';
import { WebhookSender } from './webhook';

export * from './sender';
export { sliceKey } from './s3';
export { syslogFrame } from './syslog';

/** How a sender connects: its time limit, whether internal addresses are allowed, and (tests) the resolver. */
export interface SenderOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
  resolve?: Resolver;
}

/**
 * The sender of a stream's destination, with its secrets opened. Its connections go only to addresses the
 * network guard passed when it resolved them (see `pinnedLookup`).
 */
export function createSender(stream: Pick<StreamRecord, 'id' | 'organizationId' | 'destination'>, secrets: DestinationSecrets, options: SenderOptions): Sender {
  const destination = stream.destination;
  const { timeoutMs } = options;
  const reach = reachOf(destination, options.allowPrivateNetworks, options.resolve);
  const required = (value: string | undefined, name: string): string => {
    if (value === undefined) throw new Error(`the stream's ${name} is missing`);
    return value;
  };
  switch (destination.type) {
    case 'webhook':
      return new WebhookSender(destination.url, secrets.secrets ?? [], timeoutMs, reach);
    case 'datadog':
      return new DatadogSender(destination, required(secrets.apiKey, 'apiKey'), timeoutMs, reach);
    case 'splunk':
      return new SplunkSender(destination, required(secrets.token, 'token'), timeoutMs, reach);
    case 's3':
      return new S3Sender(destination, secrets.secretAccessKey, stream.organizationId, stream.id, timeoutMs, reach);
    case 'syslog':
      return new SyslogSender(destination, timeoutMs, reach);
  }
}

/**
 * How a destination's stream batches: S3 fills a slice; the others send up to 1000 events, or what a flush
 * interval brings. `ackWaitMs` is CONSUMER_ACK_WAIT, except for S3: its messages are held while the slice
 * fills (up to `sliceSeconds`), and with the short wait each was kept alive with `working()` every third of it
 * (at 1,000 events/s into 60 s slices, 18,000-36,000 signals a second). Its ack wait is the slice plus
 * CONSUMER_ACK_WAIT instead: signals every third of that, and a batch of a replica that died comes back a
 * slice later than others would (its events were waiting up to a slice anyway).
 */
export function batchShape(stream: Pick<StreamRecord, 'destination'>, flushIntervalMs: number, ackWaitMs: number): BatchShape {
  const destination = stream.destination;
  if (destination.type === 's3') {
    const sliceMs = destination.sliceSeconds * 1000;
    return { maxBatchMessages: destination.maxEvents, maxBatchBytes: 64 * 1024 * 1024, flushIntervalMs: sliceMs, ackWaitMs: sliceMs + ackWaitMs };
  }
  return { maxBatchMessages: 1000, maxBatchBytes: 5_000_000, flushIntervalMs, ackWaitMs };
}
