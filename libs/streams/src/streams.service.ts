import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { parseIsoDateTime, uuidv7, type AuditEvent, type DeliveryRecord, type TestDeliveryResult } from '@audit/contracts';
import { describe, JetStreamConnection, STREAMS } from '@audit/messaging';
import { RetentionPoliciesRepository } from '@audit/persistence';
import { AppError } from '@audit/platform';
import { keptFrom, readOrganizationPolicy, resolveOrganizationRetention } from '@audit/retention';
import { formatEvent } from '@audit/stream-formats';
import { STREAMS_CONFIG, type StreamsConfig } from './config';
import { createSender } from './destinations';
import type { StreamRecord } from './model';
import type { BeforeStreamChange } from './stream-changes';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsRepository } from './streams.repository';

/** What the API adds to the catalog: replay, a test delivery, the delivery history. */
@Injectable()
export class StreamsService {
  constructor(
    private readonly catalog: StreamsCatalog,
    private readonly repository: StreamsRepository,
    private readonly bus: JetStreamConnection,
    private readonly retentionPolicies: RetentionPoliciesRepository,
    @Inject(STREAMS_CONFIG) private readonly config: StreamsConfig,
  ) {}

  /**
   * Re-delivers the stream's events stored since `from` (by stream sequence: those stored up to now), through
   * a consumer of its own beside the live one, which goes on undisturbed. A new replay replaces one running.
   * A `from` before the organization's retention cutoff starts at the cutoff (`startsAt`, the replay's `from`
   * as stored and answered): what lies before it was purged, and the bus's copies of it are not sent again.
   */
  async replay(organizationId: string, id: string, body: unknown, before?: (from: Date, startsAt: Date) => BeforeStreamChange): Promise<StreamRecord> {
    const stream = await this.catalog.get(organizationId, id);
    const raw = (body as { from?: unknown } | null)?.from;
    const extra = body && typeof body === 'object' ? Object.keys(body).filter((k) => k !== 'from') : [];
    const ms = typeof raw === 'string' ? parseIsoDateTime(raw) : null;
    const from = ms === null ? undefined : new Date(ms);
    if (!from || extra.length > 0) {
      const problems = [
        ...(from ? [] : [{ path: 'from', reason: 'is required: an ISO-8601 date-time' }]),
        ...extra.map((k) => ({ path: k, reason: 'is not a field here (allowed: from)' })),
      ];
      throw new AppError('VALIDATION_FAILED', `invalid replay: ${problems.map((p) => `${p.path} ${p.reason}`).join('; ')}`, problems);
    }
    const now = new Date();
    if (from.getTime() > now.getTime()) throw new AppError('VALIDATION_FAILED', 'invalid replay: from must not be in the future', [{ path: 'from', reason: 'must not be in the future' }]);
    const startsAt = keptFrom(resolveOrganizationRetention(await readOrganizationPolicy(this.retentionPolicies, organizationId), now), from);
    let untilSeq: number;
    try {
      untilSeq = (await this.bus.jsm.streams.info(STREAMS.events)).state.last_seq;
    } catch (error) {
      throw new AppError('BUS_UNAVAILABLE', `the bus did not answer: ${describe(error)}`);
    }
    await before?.(from, startsAt)({ id: stream.id, name: stream.name, destinationType: stream.destination.type });
    const started = await this.repository.startReplay(organizationId, stream.id, randomUUID(), startsAt, untilSeq);
    if (!started) throw new AppError('NOT_FOUND', `no stream ${id} in organization ${organizationId}`);
    return started;
  }

  /** Sends one sample event (marked `metadata.test: true`) to the destination now, outside the stream's position. */
  async test(organizationId: string, id: string): Promise<TestDeliveryResult> {
    const stream = await this.catalog.get(organizationId, id);
    const now = new Date();
    const event: AuditEvent = {
      schemaVersion: 1,
      id: uuidv7(now),
      organizationId,
      actionType: 'LOGIN',
      userId: 'stream-test',
      user: { email: 'stream-test@example.invalid', userName: 'stream test' },
      ipAddress: null,
      responseTimeMs: null,
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: { test: true, stream: stream.name },
      createdAt: now.toISOString(),
      receivedAt: now.toISOString(),
    } as AuditEvent;
    const sender = createSender(stream, this.catalog.secretsOf(stream), { timeoutMs: this.config.deliveryTimeoutMs, allowPrivateNetworks: this.config.allowPrivateNetworks });
    const started = performance.now();
    let error: string | null = null;
    try {
      await sender.send([{ event, record: formatEvent(stream.format, event), seq: 0, storedAt: now }]);
    } catch (failure) {
      error = describe(failure);
    } finally {
      await sender.close();
    }
    const latencyMs = Math.round(performance.now() - started);
    await this.repository.recordDelivery(stream.id, { events: 1, status: error ? 'failed' : 'delivered', latencyMs, error, replay: false }, this.config.historyPerStream);
    return { delivered: error === null, latencyMs, error, eventId: event.id };
  }

  async deliveries(organizationId: string, id: string, limitRaw: unknown): Promise<{ items: DeliveryRecord[] }> {
    const limit = limitRaw === undefined ? 50 : Number(limitRaw);
    if (typeof limitRaw !== 'undefined' && (typeof limitRaw !== 'string' || !/^\d+$/.test(limitRaw) || limit < 1 || limit > 500)) {
      throw new AppError('VALIDATION_FAILED', 'limit must be an integer from 1 to 500', [{ path: 'limit', reason: 'must be an integer from 1 to 500' }]);
    }
    await this.catalog.get(organizationId, id);
    return { items: await this.repository.deliveries(organizationId, id, limit) };
  }
}
