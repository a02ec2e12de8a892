import { Module } from '@nestjs/common';
import { readWriterConfig, WRITER_CONFIG } from './config';
import { PartitionMaintenanceService } from './partition-maintenance.service';
import { WriterConsumer } from './writer.consumer';

/** The writer service: AUDIT_EVENTS → Postgres. Needs Messaging and Persistence. */
@Module({
  providers: [{ provide: WRITER_CONFIG, useFactory: () => readWriterConfig() }, WriterConsumer, PartitionMaintenanceService],
  exports: [WriterConsumer],
})
export class WriterModule {}
