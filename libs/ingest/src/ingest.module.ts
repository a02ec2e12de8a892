import { Module } from '@nestjs/common';
import { INGEST_CONFIG, readIngestConfig } from './config';
import { EventsIngestController } from './events.controller';
import { IngestEventsUseCase } from './ingest-events.use-case';
import { IngestStreamConsumer } from './ingest-stream.consumer';
import { RedactionPolicyService } from './redaction-policy.service';
import { RETENTION_SOURCE, RetentionPolicyService } from './retention-policy.service';

/** The ingest service: `POST /v1/events` and the AUDIT_INGEST consumer. Needs Messaging, Persistence and Auth. */
@Module({
  controllers: [EventsIngestController],
  providers: [
    { provide: INGEST_CONFIG, useFactory: () => readIngestConfig() },
    RedactionPolicyService,
    { provide: RETENTION_SOURCE, useClass: RetentionPolicyService },
    IngestEventsUseCase,
    IngestStreamConsumer,
  ],
  exports: [IngestEventsUseCase],
})
export class IngestModule {}
