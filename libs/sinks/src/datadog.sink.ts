import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { JetStreamConnection, MESSAGING_CONFIG, type Delivery, type MessagingConfig } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { chunkBySize } from './batching';
import { SINKS_CONFIG, type DatadogSinkConfig, type SinksConfig } from './config';
import { HttpTarget } from './http-delivery';
import { SinkConsumer } from './sink-consumer';

const gzipAsync = promisify(gzip);

/** The logs intake's limits: 1000 entries and 5 MB (uncompressed) per request. */
export const DATADOG_MAX_ENTRIES = 1000;
export const DATADOG_MAX_BYTES = 5_000_000;

/** One Datadog log entry: reserved attributes for source, service, host, tags and date; the event under `audit`. */
export interface DatadogEntry {
  ddsource: 'audit-trail';
  service: 'audit-log';
  hostname: string;
  ddtags: string;
  date: string;
  message: string;
  audit: AuditEvent;
}

/** The entry's human-readable line: what was done, by whom, where. */
export const datadogMessage = (event: AuditEvent): string => `${event.actionType} by ${event.userId ?? 'an anonymous user'} in ${event.organizationId}`;

export function datadogEntry(event: AuditEvent, config: Pick<DatadogSinkConfig, 'hostname' | 'extraTags'>): DatadogEntry {
  return {
    ddsource: 'audit-trail',
    service: 'audit-log',
    hostname: config.hostname,
    ddtags: [`organization:${event.organizationId}`, `action_type:${event.actionType}`, ...config.extraTags].join(','),
    date: event.createdAt,
    message: datadogMessage(event),
    audit: event,
  };
}

/**
 * `DD_API_KEY`: every canonical event to the Datadog logs intake, gzip'd JSON arrays of at most 1000 entries
 * and 5 MB, with the `DD-API-KEY` header. Durable consumer `sink-datadog`. 429/5xx/timeouts are retried with
 * backoff (the consumer holds its position through any outage); another 4xx dead-letters that request's
 * events with Datadog's answer as the reason.
 */
@Injectable()
export class DatadogSink extends SinkConsumer {
  private readonly datadog?: DatadogSinkConfig;
  /** Kept-alive connections to the intake, one per batch in flight. */
  private readonly target?: HttpTarget;

  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SINKS_CONFIG) config: SinksConfig,
  ) {
    super(bus, messaging, health, {
      durable: 'sink-datadog',
      enabled: config.datadog !== undefined,
      maxBatchMessages: DATADOG_MAX_ENTRIES,
      maxBatchBytes: DATADOG_MAX_BYTES,
      flushIntervalMs: config.flushIntervalMs,
    });
    this.datadog = config.datadog;
    if (config.datadog) this.target = new HttpTarget(config.datadog.url, { timeoutMs: config.httpTimeoutMs, sockets: messaging.inFlightBatches });
  }

  override async beforeApplicationShutdown(): Promise<void> {
    await super.beforeApplicationShutdown();
    this.target?.close();
  }

  private readonly serialized = new WeakMap<Delivery<AuditEvent>, string>();

  private entryJson(delivery: Delivery<AuditEvent>): string {
    let json = this.serialized.get(delivery);
    if (json === undefined) {
      json = JSON.stringify(datadogEntry(delivery.payload, this.datadog as DatadogSinkConfig));
      this.serialized.set(delivery, json);
    }
    return json;
  }

  protected chunks(events: ReadonlyArray<Delivery<AuditEvent>>): Array<ReadonlyArray<Delivery<AuditEvent>>> {
    // +1 for the comma; 2 bytes of brackets are kept as slack below the limit.
    return chunkBySize(events, DATADOG_MAX_ENTRIES, DATADOG_MAX_BYTES - 2, (d) => Buffer.byteLength(this.entryJson(d)) + 1);
  }

  protected async deliver(chunk: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const config = this.datadog as DatadogSinkConfig;
    const body = await gzipAsync(`[${chunk.map((d) => this.entryJson(d)).join(',')}]`);
    await (this.target as HttpTarget).post(body, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'DD-API-KEY': config.apiKey, 'User-Agent': 'audit-trail-sink/1' });
  }
}
