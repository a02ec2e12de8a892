import { Inject, Injectable } from '@nestjs/common';
import { validateBatch, type AuditEvent } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { EventPublisher } from '@audit/messaging';
import { acceptedEvents, rejectedEvents } from './metrics';
import { IngestLoadShedder } from './load-shedder';
import { IngestRateLimiter, rateLimitedEvents } from './rate-limiter';
import { redact } from './redaction';
import { RedactionPolicyService } from './redaction-policy.service';
import { describeRetention, expiredEvents } from './retention-gate';
import { RETENTION_SOURCE, type RetentionSource } from './retention-policy.service';

export interface IngestCommand {
  /** The request body: one event or an array. */
  body: unknown;
  /** The organization the caller's credential may write for. */
  organizationId: string;
  now?: Date;
}

/**
 * Validates every event of a batch, refuses the whole batch if any is invalid, belongs to another
 * organization or is older than the organization's retention, redacts, and publishes. The ids are
 * returned so a caller can retry safely.
 */
@Injectable()
export class IngestEventsUseCase {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly redaction: RedactionPolicyService,
    @Inject(RETENTION_SOURCE) private readonly retention: RetentionSource,
    private readonly limiter: IngestRateLimiter,
    private readonly shedder: IngestLoadShedder,
  ) {}

  async execute(command: IngestCommand): Promise<{ ids: string[] }> {
    const now = command.now ?? new Date();
    // Admission first, before validation spends CPU on it: the process's own load (a refused batch takes
    // no tokens), then the limit on what an organization sends.
    const count = Array.isArray(command.body) ? command.body.length : 1;
    const lateMs = this.shedder.overloadedBy();
    if (lateMs !== undefined) {
      rejectedEvents.inc({ source: 'http', reason: 'overloaded' }, count);
      throw new AppError(
        'OVERLOADED',
        `ingest is behind: its event loop runs ${Math.round(lateMs)} ms late, over INGEST_MAX_EVENT_LOOP_DELAY; no event of the batch was accepted: retry after the Retry-After seconds`,
        undefined,
        1,
      );
    }
    const waitMs = this.limiter.admit(command.organizationId, count);
    if (waitMs > 0) {
      rateLimitedEvents.inc({ source: 'http', organizationId: command.organizationId }, count);
      rejectedEvents.inc({ source: 'http', reason: 'rate_limited' }, count);
      throw new AppError(
        'RATE_LIMITED',
        `organization "${command.organizationId}" is over its ingest rate limit (INGEST_RATE_LIMIT); no event of the batch was accepted: retry after the Retry-After seconds`,
        undefined,
        Number.isFinite(waitMs) ? Math.ceil(waitMs / 1000) : 60,
      );
    }
    const result = validateBatch(command.body, { now });
    if (!result.ok) {
      rejectedEvents.inc({ source: 'http', reason: 'invalid' }, Array.isArray(command.body) ? command.body.length : 1);
      throw new AppError('VALIDATION_FAILED', `${result.errors.length} invalid field(s); no event of the batch was accepted`, result.errors);
    }
    const foreign = result.events
      .map((event, index) => ({ index, organizationId: event.organizationId }))
      .filter((e) => e.organizationId !== command.organizationId);
    if (foreign.length > 0) {
      rejectedEvents.inc({ source: 'http', reason: 'forbidden' }, result.events.length);
      throw new AppError(
        'FORBIDDEN',
        `this key writes for organization "${command.organizationId}" only; no event of the batch was accepted`,
        foreign.map((f) => ({ index: f.index, path: Array.isArray(command.body) ? `[${f.index}].organizationId` : 'organizationId', reason: `is "${f.organizationId}"` })),
      );
    }
    const retention = await this.retention.retentionFor(command.organizationId, now);
    const expired = expiredEvents(result.events, retention, Array.isArray(command.body));
    if (expired.length > 0) {
      rejectedEvents.inc({ source: 'http', reason: 'retention' }, result.events.length);
      throw new AppError(
        'VALIDATION_FAILED',
        `${expired.length} event(s) with a createdAt older than the organization's retention (${describeRetention(retention)}); no event of the batch was accepted`,
        expired,
      );
    }
    const policy = await this.redaction.policyFor(command.organizationId);
    const events: AuditEvent[] = result.events.map((event) => redact(event, policy));
    try {
      await this.publisher.publishEvents(events);
    } catch (error) {
      // The bus may have stored part of the batch (a node lost mid-batch, acks lost to a timeout, a full
      // stream) under ids the emitter may not have chosen: a retry is safe only with these same ids.
      if (error instanceof AppError && error.code === 'BUS_UNAVAILABLE') {
        throw new AppError('BUS_UNAVAILABLE', `${error.message}; some events may be stored: send the batch again with error.details.ids as the events' ids`, {
          ids: events.map((e) => e.id),
        });
      }
      throw error;
    }
    acceptedEvents.inc({ source: 'http' }, events.length);
    return { ids: events.map((e) => e.id) };
  }
}
