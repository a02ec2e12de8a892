import { Inject, Injectable } from '@nestjs/common';
import type { JsMsg } from '@nats-io/jetstream';
import { validateEvent, type AuditEvent } from '@audit/contracts';
import { HealthRegistry } from '@audit/platform';
import {
  EventPublisher,
  JetStreamBatchConsumer,
  JetStreamConnection,
  MESSAGING_CONFIG,
  PermanentError,
  STREAMS,
  SUBJECTS,
  TransientError,
  type BatchOutcome,
  type Delivery,
  type MessagingConfig,
} from '@audit/messaging';
import { busEventId } from './bus-event-id';
import { deadLetterBody } from './dead-letter-body';
import { INGEST_CONFIG, type IngestConfig } from './config';
import { IngestLoadShedder } from './load-shedder';
import { acceptedEvents, deferredEvents } from './metrics';
import { IngestRateLimiter, rateLimitedEvents } from './rate-limiter';
import { redact, type RedactionPolicy } from './redaction';
import { RedactionPolicyService } from './redaction-policy.service';
import { expiredEvents } from './retention-gate';
import type { Retention } from '@audit/retention';
import { RETENTION_SOURCE, type RetentionSource } from './retention-policy.service';

/**
 * How long a batch waits for an overloaded event loop (IngestLoadShedder) before it goes back to the stream,
 * and how long the stream then keeps it before delivering it again. Short enough that a waiting batch never
 * holds shutdown long; the messages waiting are bounded by the consumer's in-flight batches and
 * max_ack_pending, so a late loop stops this consumer taking more from AUDIT_INGEST.
 */
const OVERLOAD_WAIT_MS = 1_000;
const OVERLOAD_RETRY_MS = 1_000;

// Fatal: a byte that is not UTF-8 is refused, as over HTTP, never turned into U+FFFD and stored.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Takes raw events that services published on `audit.ingest.<org>` (AUDIT_INGEST, a work queue),
 * validates them, refuses those older than their organization's retention and redacts them exactly as
 * HTTP ingest does, and republishes them canonically. An invalid or expired event is dead-lettered with
 * the reason, without its metadata.
 */
@Injectable()
export class IngestStreamConsumer extends JetStreamBatchConsumer<AuditEvent> {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(INGEST_CONFIG) config: IngestConfig,
    private readonly publisher: EventPublisher,
    private readonly redaction: RedactionPolicyService,
    @Inject(RETENTION_SOURCE) private readonly retention: RetentionSource,
    private readonly limiter: IngestRateLimiter,
    private readonly shedder: IngestLoadShedder,
  ) {
    super(bus, messaging, health, {
      durable: 'ingest',
      stream: STREAMS.ingest,
      filterSubject: SUBJECTS.ingestAll,
      maxBatchMessages: config.batchSize,
      maxBatchBytes: 8 * 1024 * 1024,
      flushIntervalMs: config.flushIntervalMs,
    });
  }

  protected decode(message: JsMsg): AuditEvent {
    let text: string;
    try {
      text = UTF8.decode(message.data);
    } catch {
      throw new PermanentError('payload is not valid UTF-8');
    }
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      throw new PermanentError('payload is not JSON');
    }
    const publishedAt = new Date(Math.floor(Number(message.info.timestampNanos) / 1e6));
    if (typeof input === 'object' && input !== null && !Array.isArray(input) && !('id' in input)) {
      input = { ...input, id: busEventId(publishedAt.getTime(), message.info.stream, message.seq) };
    }
    const result = validateEvent(input, { now: publishedAt, receivedAt: publishedAt });
    if (!result.ok) throw new PermanentError(`invalid event: ${JSON.stringify(result.errors)}`);
    const subjectOrg = message.subject.split('.')[2];
    if (result.event.organizationId !== subjectOrg) {
      throw new PermanentError(`organizationId "${result.event.organizationId}" does not match subject ${message.subject}`);
    }
    return result.event;
  }

  /** A refused event was never redacted: its dead letter keeps no metadata (see deadLetterBody). */
  protected override deadLetterData(message: JsMsg): Uint8Array {
    return deadLetterBody(message.data);
  }

  /**
   * Over its organization's INGEST_RATE_LIMIT, an event is neither refused nor dropped: it is nak'd to come
   * back once its bucket holds a token again, so AUDIT_INGEST absorbs the burst (up to STREAM_MAX_AGE)
   * while the other organizations' events of the batch go through.
   */
  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<BatchOutcome<AuditEvent> | void> {
    // The load shedding of HTTP ingest, for the bus: while this thread's own work keeps its loop late
    // (INGEST_MAX_EVENT_LOOP_DELAY; the standalone's HTTP thread answers reads too), a batch waits, then goes
    // back to AUDIT_INGEST, so events arriving on the bus cannot starve the thread any more than HTTP ones.
    if (!(await this.shedder.admitWithin(OVERLOAD_WAIT_MS))) {
      deferredEvents.inc({ reason: 'overloaded' }, batch.length);
      const reason = 'ingest is behind: its event loop runs later than INGEST_MAX_EVENT_LOOP_DELAY';
      return { retry: batch.map((delivery) => ({ delivery, reason, delayMs: OVERLOAD_RETRY_MS })) };
    }
    const admitted: Array<Delivery<AuditEvent>> = [];
    const held: Array<{ delivery: Delivery<AuditEvent>; reason: string; delayMs: number }> = [];
    for (const delivery of batch) {
      const waitMs = this.limiter.admit(delivery.payload.organizationId, 1);
      if (waitMs === 0) admitted.push(delivery);
      else held.push({ delivery, reason: `organization "${delivery.payload.organizationId}" is over INGEST_RATE_LIMIT`, delayMs: waitMs });
    }
    for (const { delivery } of held) rateLimitedEvents.inc({ source: 'nats', organizationId: delivery.payload.organizationId });
    if (admitted.length > 0) await this.publishAdmitted(admitted);
    if (held.length > 0) return { retry: held };
  }

  private async publishAdmitted(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const events: AuditEvent[] = [];
    const expired: string[] = [];
    const now = new Date();
    try {
      // One look-up of each organization's retention and redaction rules per batch, not one per event.
      const rules = new Map<string, { retention: Retention; policy: RedactionPolicy }>();
      for (const organizationId of new Set(batch.map((d) => d.payload.organizationId))) {
        rules.set(organizationId, { retention: await this.retention.retentionFor(organizationId, now), policy: await this.redaction.policyFor(organizationId) });
      }
      for (const { payload } of batch) {
        const { retention, policy } = rules.get(payload.organizationId) as { retention: Retention; policy: RedactionPolicy };
        // Judged when it is stored, as the purge will judge it: an event the next purge deletes is refused.
        for (const e of expiredEvents([payload], retention, false)) expired.push(`${e.path} ${e.reason}`);
        events.push(redact(payload, policy));
      }
    } catch (error) {
      // Retention policies and redaction rules live in Postgres (last known ones are served while it is
      // down): without them nothing may pass, so wait for the database.
      throw new TransientError(`retention policy or redaction rules unavailable: ${(error as Error).message}`, { cause: error });
    }
    // The base class then handles each message alone, so only the expired ones are dead-lettered.
    if (expired.length > 0) throw new PermanentError(`refused: ${expired.join('; ')}`);
    try {
      await this.publisher.publishEvents(events);
    } catch (error) {
      throw new TransientError((error as Error).message, { cause: error });
    }
    acceptedEvents.inc({ source: 'nats' }, events.length);
  }
}
