import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { JetStreamConnection, MESSAGING_CONFIG, type Delivery, type MessagingConfig } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { chunkBySize } from './batching';
import { SINKS_CONFIG, type SinksConfig, type WebhookSinkConfig } from './config';
import { HttpTarget } from './http-delivery';
import { SinkConsumer } from './sink-consumer';

export const WEBHOOK_MAX_EVENTS = 1000;
export const WEBHOOK_MAX_BYTES = 5_000_000;
export const WEBHOOK_SIGNATURE_HEADER = 'X-Audit-Signature';

/**
 * `X-Audit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The receiver recomputes it
 * over the raw body with the shared secret, compares in constant time, and refuses a `t` too far from its
 * clock (replay). Redelivered batches carry a new `t`.
 *
 * `body` may be the bytes about to be sent (a string is its UTF-8): the HMAC reads `<t>.` and then the body
 * as it is, so a megabyte batch is neither copied into a second string nor encoded to UTF-8 once more.
 */
export function webhookSignature(secret: string | readonly string[], body: string | Uint8Array, unixSeconds: number): string {
  // One `v1=` per secret: while a secret is rotated the receiver accepts either, so nothing is refused mid-change.
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return [`t=${unixSeconds}`, ...secrets.map((s) => `v1=${createHmac('sha256', s).update(`${unixSeconds}.`).update(body).digest('hex')}`)].join(',');
}

/**
 * `WEBHOOK_URL` + `WEBHOOK_SECRET`: every canonical event POSTed as signed JSON batches
 * (`{"events": [...]}`, ≤ 1000 events, ≤ 5 MB). Durable consumer `sink-webhook`; the same retry and
 * dead-letter rules as the Datadog sink.
 */
@Injectable()
export class WebhookSink extends SinkConsumer {
  private readonly webhook?: WebhookSinkConfig;
  /** Kept-alive connections to the receiver, one per batch in flight. */
  private readonly target?: HttpTarget;

  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SINKS_CONFIG) config: SinksConfig,
  ) {
    super(bus, messaging, health, {
      durable: 'sink-webhook',
      enabled: config.webhook !== undefined,
      maxBatchMessages: WEBHOOK_MAX_EVENTS,
      maxBatchBytes: WEBHOOK_MAX_BYTES,
      flushIntervalMs: config.flushIntervalMs,
    });
    this.webhook = config.webhook;
    if (config.webhook) this.target = new HttpTarget(config.webhook.url, { timeoutMs: config.httpTimeoutMs, sockets: messaging.inFlightBatches });
  }

  override async beforeApplicationShutdown(): Promise<void> {
    await super.beforeApplicationShutdown();
    this.target?.close();
  }

  protected chunks(events: ReadonlyArray<Delivery<AuditEvent>>): Array<ReadonlyArray<Delivery<AuditEvent>>> {
    // The raw message is the event's JSON: its length is the event's share of the body, plus a comma.
    return chunkBySize(events, WEBHOOK_MAX_EVENTS, WEBHOOK_MAX_BYTES - 16, (d) => d.message.data.length + 1);
  }

  protected async deliver(chunk: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const config = this.webhook as WebhookSinkConfig;
    const body = `{"events":[${chunk.map((d) => JSON.stringify(d.payload)).join(',')}]}`;
    await (this.target as HttpTarget).post(body, {
      'Content-Type': 'application/json',
      'User-Agent': 'audit-trail-webhook/1',
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(config.secret, body, Math.floor(Date.now() / 1000)),
    });
  }
}
