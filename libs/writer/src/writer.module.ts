import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { readWriterConfig, WRITER_CONFIG } from './config';
import { PartitionMaintenanceService } from './partition-maintenance.service';
import { WriterConsumer } from './writer.consumer';

/** The writer service: AUDIT_EVENTS → Postgres. */
@Module({
  imports: [HealthModule, MessagingModule, PersistenceModule],
  providers: [{ provide: WRITER_CONFIG, useFactory: () => readWriterConfig() }, WriterConsumer, PartitionMaintenanceService],
  exports: [WriterConsumer],
})
export class WriterModule {}
