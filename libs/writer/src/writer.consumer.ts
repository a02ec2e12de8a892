import { Inject, Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { counter, HealthRegistry, histogram } from '@audit/platform';
import { CanonicalEventsConsumer, JetStreamConnection, MESSAGING_CONFIG, type Delivery, type MessagingConfig } from '@audit/messaging';
import { AuditEventsWriteRepository, pgFailureKind } from '@audit/persistence';
import { WRITER_CONFIG, type WriterConfig } from './config';

const rowsWritten = counter('audit_writer_rows_total', 'Event rows written to Postgres; duplicates are skipped, not written', ['result']);
const writeSeconds = histogram('audit_writer_write_duration_seconds', 'Time of one batch transaction in Postgres');

/** Projects AUDIT_EVENTS into Postgres, the system of record: one transaction per batch, ack after commit. */
@Injectable()
export class WriterConsumer extends CanonicalEventsConsumer {
  constructor(
    bus: JetStreamConnection,
    @Inject(MESSAGING_CONFIG) messaging: MessagingConfig,
    health: HealthRegistry,
    @Inject(WRITER_CONFIG) config: WriterConfig,
    private readonly events: AuditEventsWriteRepository,
  ) {
    super(bus, messaging, health, { durable: 'writer', ...config.batch, storeFailureKind: pgFailureKind });
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<AuditEvent>>): Promise<void> {
    const stop = writeSeconds.startTimer();
    const inserted = await this.events.writeBatch(batch.map((d) => d.payload));
    stop();
    rowsWritten.inc({ result: 'inserted' }, inserted);
    rowsWritten.inc({ result: 'duplicate' }, batch.length - inserted);
  }
}
