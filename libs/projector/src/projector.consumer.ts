import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { ClickHouseEventsRepository, clickHouseFailureKind, encodeEventRow, ProjectionProgress, type EncodedEventRow } from '@audit/clickhouse';
import {
  CanonicalLogConsumer,
  JetStreamConnection,
  MESSAGING_CONFIG,
  TransientError,
  type Delivery,
  type FailureKind,
  type MessagingConfig,
} from '@audit/messaging';
import { ErasuresRepository } from '@audit/persistence';
import { counter, HealthRegistry, histogram } from '@audit/platform';
import { PROJECTOR_CONFIG, type ProjectorConfig } from './config';
import { projectionStore } from './projection-store';
import { OverlappingInserts } from './overlapping-inserts';

const rowsProjected = counter('audit_projector_rows_total', 'Event rows inserted into ClickHouse; duplicates are skipped, not inserted', ['result']);
const insertSeconds = histogram(
  'audit_projector_insert_duration_seconds',
  "Time of one batch's insert into ClickHouse (the materialized views included); its duplicate check is timed apart",
);
const checkSeconds = histogram(
  'audit_projector_duplicate_check_duration_seconds',
  "Time of one batch's duplicate check; it runs while the previous batch is inserted, so it includes waiting for that insert",
);

/**
 * Projects AUDIT_EVENTS into ClickHouse: batched inserts, acked only after the insert succeeded.
 *
 * A consumer of the canonical log with the writer's decoding (so the same messages are poison), but each
 * message is encoded as its ClickHouse row as soon as it is decoded: the batches in flight hold one line of
 * text per event, not the event's object tree.
 *
 * Once a batch is stored, the erasures committed in Postgres meanwhile that cover its events are applied
 * to it again (`projectionStore`, `reapplyErasures`): an erasure's own ClickHouse statement misses a batch inserted after it.
 */
@Injectable()
export class ProjectorConsumer extends CanonicalLogConsumer<EncodedEventRow> {
  private readonly inserts: OverlappingInserts<EncodedEventRow>;
  /** Aborted when shutdown begins: a batch not inserted by then is redelivered rather than waited for. */
  private readonly shutdown = new AbortController();

  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(PROJECTOR_CONFIG) config: ProjectorConfig,
    events: ClickHouseEventsRepository,
    progress: ProjectionProgress,
    erasures: ErasuresRepository,
  ) {
    super(bus, messaging, health, {
      durable: 'projector',
      maxBatchMessages: config.batchSize,
      maxBatchBytes: config.batchBytes,
      flushIntervalMs: config.flushIntervalMs,
      // Two batches at once: the next one is decoded and checked for duplicates while this one is
      // inserted (on embedded chDB the check's statement waits for the insert on the connection, which
      // runs one statement at a time; the decoding still overlaps). The inserts still take turns, and
      // OverlappingInserts keeps the check exact.
      inFlightBatches: 2,
    });
    this.inserts = new OverlappingInserts(projectionStore(events, progress, erasures));
  }

  /**
   * A batch still waiting for its insert turn when the service is told to stop is handed back (nak) at
   * once instead of inserted: shutdown then waits for at most the insert under way. The same holds for
   * the one-message-at-a-time retries after a failed batch, which could otherwise go on for minutes.
   */
  override async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort(new TransientError('the projector is stopping; the batch is redelivered'));
    await super.beforeApplicationShutdown();
    // ClickHouse closes after this hook (onApplicationShutdown): nothing of ours may still run in it then.
    await this.inserts.idle();
  }

  protected fromEvent(event: AuditEvent): EncodedEventRow {
    return encodeEventRow(event);
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<EncodedEventRow>>): Promise<void> {
    const inserted = await this.inserts.insertNew(
      batch.map((d) => d.payload),
      (t) => {
        insertSeconds.observe(t.insertSeconds);
        checkSeconds.observe(t.checkSeconds);
      },
      this.shutdown.signal,
    );
    rowsProjected.inc({ result: 'inserted' }, inserted);
    rowsProjected.inc({ result: 'duplicate' }, batch.length - inserted);
  }

  protected override classify(error: unknown): FailureKind {
    const kind = super.classify(error);
    return kind === 'unknown' ? clickHouseFailureKind(error) : kind;
  }
}
