import { Inject, Injectable } from '@nestjs/common';
import type { Writable } from 'node:stream';
import type { AuditEvent } from '@audit/contracts';
import { JetStreamConnection, MESSAGING_CONFIG, type Delivery, type MessagingConfig } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { SINKS_CONFIG, type SinksConfig } from './config';
import { SinkConsumer } from './sink-consumer';

/** Where the stdout sink writes: process.stdout (SinksModule), or a stream a test reads. */
export const STDOUT_STREAM = Symbol('STDOUT_STREAM');

/** One line of the stdout stream: the canonical event exactly as it travels on AUDIT_EVENTS. */
export const stdoutLine = (event: AuditEvent): string => `${JSON.stringify(event)}\n`;

/**
 * `LOG_AUDIT_EVENTS=true`: every canonical event as one JSON line on stdout (logs go to stderr, so stdout
 * carries nothing else), for a log shipper to pick up. Durable consumer `sink-stdout`; a batch is acked
 * once the stream has taken its lines. One batch at a time keeps the lines in stream order.
 */
@Injectable()
export class StdoutSink extends SinkConsumer {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SINKS_CONFIG) config: SinksConfig,
    @Inject(STDOUT_STREAM) private readonly out: Writable,
  ) {
    super(bus, messaging, health, {
      durable: 'sink-stdout',
      enabled: config.stdout,
      maxBatchMessages: 1000,
      maxBatchBytes: 4 * 1024 * 1024,
      flushIntervalMs: Math.min(config.flushIntervalMs, 100),
      inFlightBatches: 1,
    });
  }

  protected chunks(events: ReadonlyArray<Delivery<AuditEvent>>): Array<ReadonlyArray<Delivery<AuditEvent>>> {
    return [events];
  }

  protected deliver(chunk: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const text = chunk.map((d) => stdoutLine(d.payload)).join('');
    // The callback fires once the data was handed to the OS (or buffered for it); backpressure is honoured
    // because the next batch starts only after this one resolved.
    return new Promise((resolve, reject) => this.out.write(text, (error) => (error ? reject(error) : resolve())));
  }
}
