import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { LIMITS } from '@audit/contracts';
import {
  describe,
  JetStreamBatchConsumer,
  JetStreamConnection,
  MESSAGING_CONFIG,
  PermanentError,
  STREAMS,
  SUBJECTS,
  type BatchOutcome,
  type Delivery,
  type MessagingConfig,
} from '@audit/messaging';
import { counter, HealthRegistry } from '@audit/platform';
import { parseCheckpoint } from '@audit/transparency';
import { SINKS_CONFIG, type SinksConfig } from './config';
import { DeliveryRejectedError, HttpTarget } from './http-delivery';
import { STDOUT_STREAM } from './stdout.sink';
import { webhookSignature, WEBHOOK_SIGNATURE_HEADER } from './webhook.sink';

const gzipAsync = promisify(gzip);
const shipped = counter('audit_sink_checkpoints_total', 'Signed checkpoints the sinks shipped off the machine, by outcome', ['outcome']);

/** A signed checkpoint as the sinks ship it: whose log, its size and root, and the signed note itself. */
export interface ShippedCheckpoint {
  organizationId: string;
  treeSize: number;
  rootHash: string;
  /** The C2SP signed note, verifiable with a key of GET /v1/log/keys (docs/transparency.md). */
  note: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** One stdout line: `{"checkpoint": {...}}` (event lines are the bare event, so the two never look alike). */
export const checkpointLine = (c: ShippedCheckpoint): string => `${JSON.stringify({ checkpoint: c })}\n`;

/**
 * Ships the sealer's signed checkpoints (stream AUDIT_CHECKPOINTS, `audit.checkpoints.<org>`) to every
 * sink that is switched on, so they leave the machine where a database administrator could rewrite the
 * log: a `{"checkpoint": …}` line on stdout, a Datadog log entry, a signed webhook POST
 * `{"checkpoints": [...]}`. One durable consumer, `sink-checkpoints`, created only when a sink is on. A
 * receiver that is down holds the position (retried for as long as it takes); a receiver that refuses a
 * batch dead-letters it with its answer. A retried batch may reach a receiver twice: a checkpoint is
 * identified by (organizationId, treeSize), so a copy is harmless.
 */
@Injectable()
export class CheckpointSink extends JetStreamBatchConsumer<ShippedCheckpoint> {
  private readonly out: Writable;
  /** Kept-alive connections to the Datadog intake and the webhook receiver (one batch at a time). */
  private readonly datadog?: HttpTarget;
  private readonly webhook?: HttpTarget;

  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(SINKS_CONFIG) private readonly config: SinksConfig,
    @Optional() @Inject(STDOUT_STREAM) out?: Writable,
  ) {
    super(bus, messaging, health, {
      durable: 'sink-checkpoints',
      stream: STREAMS.checkpoints,
      filterSubject: SUBJECTS.checkpointsAll,
      maxBatchMessages: 500,
      maxBatchBytes: 1024 * 1024,
      flushIntervalMs: config.flushIntervalMs,
      inFlightBatches: 1,
    });
    this.out = out ?? process.stdout;
    if (config.datadog) this.datadog = new HttpTarget(config.datadog.url, { timeoutMs: config.httpTimeoutMs });
    if (config.webhook) this.webhook = new HttpTarget(config.webhook.url, { timeoutMs: config.httpTimeoutMs });
  }

  get enabled(): boolean {
    return this.config.stdout || this.config.datadog !== undefined || this.config.webhook !== undefined;
  }

  override async onApplicationBootstrap(): Promise<void> {
    if (this.enabled) await super.onApplicationBootstrap();
  }

  override async beforeApplicationShutdown(): Promise<void> {
    if (this.enabled) await super.beforeApplicationShutdown();
    this.datadog?.close();
    this.webhook?.close();
  }

  /** The organization from the subject, the note's body read as a checkpoint; anything else is poison. */
  protected decode(message: JsMsg): ShippedCheckpoint {
    const organizationId = message.subject.slice(SUBJECTS.checkpointsAll.length - 1);
    if (!LIMITS.organizationIdPattern.test(organizationId)) throw new PermanentError(`not a checkpoint subject: ${message.subject}`);
    let note: string;
    try {
      note = UTF8.decode(message.data);
    } catch {
      throw new PermanentError('the checkpoint is not UTF-8');
    }
    const split = note.lastIndexOf('\n\n');
    try {
      if (split < 0) throw new Error('no blank line before the signatures');
      const { size, rootHash } = parseCheckpoint(note.slice(0, split + 1));
      return { organizationId, treeSize: size, rootHash: rootHash.toString('base64'), note };
    } catch (error) {
      throw new PermanentError(`not a signed checkpoint: ${describe(error)}`);
    }
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<ShippedCheckpoint>>): Promise<BatchOutcome<ShippedCheckpoint>> {
    const checkpoints = batch.map((d) => d.payload);
    try {
      if (this.config.stdout) await this.write(checkpoints.map(checkpointLine).join(''));
      if (this.config.datadog) await this.toDatadog(checkpoints);
      if (this.config.webhook) await this.toWebhook(checkpoints);
    } catch (error) {
      const reason = `sink-checkpoints: ${describe(error)}`;
      const failed = batch.map((delivery) => ({ delivery, reason }));
      const outcome = error instanceof DeliveryRejectedError ? 'failed' : 'retried';
      shipped.inc({ outcome }, batch.length);
      return outcome === 'failed' ? { deadLetter: failed } : { retry: failed };
    }
    shipped.inc({ outcome: 'delivered' }, batch.length);
    return {};
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.out.write(text, (error) => (error ? reject(error) : resolve())));
  }

  private async toDatadog(checkpoints: readonly ShippedCheckpoint[]): Promise<void> {
    const dd = this.config.datadog;
    if (!dd) return;
    const entries = checkpoints.map((checkpoint) => ({
      ddsource: 'audit-trail',
      service: 'audit-log',
      hostname: dd.hostname,
      ddtags: [`organization:${checkpoint.organizationId}`, 'kind:checkpoint', ...dd.extraTags].join(','),
      date: new Date().toISOString(),
      message: `checkpoint of ${checkpoint.organizationId}'s audit log at ${checkpoint.treeSize} events`,
      checkpoint,
    }));
    const body = await gzipAsync(JSON.stringify(entries));
    await (this.datadog as HttpTarget).post(body, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'DD-API-KEY': dd.apiKey, 'User-Agent': 'audit-trail-sink/1' });
  }

  private async toWebhook(checkpoints: readonly ShippedCheckpoint[]): Promise<void> {
    const hook = this.config.webhook;
    if (!hook) return;
    const body = JSON.stringify({ checkpoints });
    await (this.webhook as HttpTarget).post(body, {
      'Content-Type': 'application/json',
      'User-Agent': 'audit-trail-webhook/1',
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(hook.secret, body, Math.floor(Date.now() / 1000)),
    });
  }
}
