import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { ClickHouseEventsRepository, clickHouseFailureKind, toClickHouseRow } from '@audit/clickhouse';
import {
  CanonicalEventsConsumer,
  JetStreamConnection,
  MESSAGING_CONFIG,
  type Delivery,
  type FailureKind,
  type MessagingConfig,
} from '@audit/messaging';
import { counter, HealthRegistry, histogram } from '@audit/platform';
import { PROJECTOR_CONFIG, type ProjectorConfig } from './config';

const rowsProjected = counter('audit_projector_rows_total', 'Event rows inserted into ClickHouse; duplicates are skipped, not inserted', ['result']);
const insertSeconds = histogram('audit_projector_insert_duration_seconds', 'Time of one batch insert into ClickHouse, duplicate check included');

/** Projects AUDIT_EVENTS into ClickHouse: batched inserts, acked only after the insert succeeded. */
@Injectable()
export class ProjectorConsumer extends CanonicalEventsConsumer {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(PROJECTOR_CONFIG) config: ProjectorConfig,
    private readonly events: ClickHouseEventsRepository,
  ) {
    super(bus, messaging, health, {
      durable: 'projector',
      maxBatchMessages: config.batchSize,
      maxBatchBytes: config.batchBytes,
      flushIntervalMs: config.flushIntervalMs,
      // The duplicate check must see the previous batch's rows, so batches never overlap.
      inFlightBatches: 1,
    });
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const stop = insertSeconds.startTimer();
    const inserted = await this.events.insertNew(batch.map((d) => toClickHouseRow(d.payload)));
    stop();
    rowsProjected.inc({ result: 'inserted' }, inserted);
    rowsProjected.inc({ result: 'duplicate' }, batch.length - inserted);
  }

  protected override classify(error: unknown): FailureKind {
    const kind = super.classify(error);
    return kind === 'unknown' ? clickHouseFailureKind(error) : kind;
  }
}
