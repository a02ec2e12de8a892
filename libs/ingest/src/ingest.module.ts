import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { eventLoopDelay, HealthModule, HealthRegistry } from '@audit/platform';
import { INGEST_CONFIG, readIngestConfig, type IngestConfig } from './config';
import { EventsIngestController } from './events.controller';
import { IngestEventsUseCase } from './ingest-events.use-case';
import { IngestStreamConsumer } from './ingest-stream.consumer';
import { IngestLoadShedder } from './load-shedder';
import { IngestRateLimiter } from './rate-limiter';
import { RedactionPolicyService } from './redaction-policy.service';
import { RETENTION_SOURCE, RetentionPolicyService } from './retention-policy.service';

/**
 * The ingest service: `POST /v1/events` and the AUDIT_INGEST consumer.
 *
 * Postgres being unreachable does not make a process with ingest unready: ingest accepts events on the
 * keys, redaction rules and retention policies it last read (up to INGEST_STALE_CACHE_MAX) and answers
 * 503 for what it cannot decide, so taking it out of the load balancer would only refuse what it can
 * take. The `postgres` check is still reported in /readyz, marked tolerated.
 */
@Module({
  imports: [HealthModule, MessagingModule, PersistenceModule, AuthModule],
  controllers: [EventsIngestController],
  providers: [
    { provide: INGEST_CONFIG, useFactory: () => readIngestConfig() },
    RedactionPolicyService,
    { provide: RETENTION_SOURCE, useClass: RetentionPolicyService },
    { provide: IngestRateLimiter, useFactory: (config: IngestConfig) => new IngestRateLimiter(config), inject: [INGEST_CONFIG] },
    { provide: IngestLoadShedder, useFactory: (config: IngestConfig) => new IngestLoadShedder(config, eventLoopDelay()), inject: [INGEST_CONFIG] },
    IngestEventsUseCase,
    IngestStreamConsumer,
  ],
  exports: [IngestEventsUseCase],
})
export class IngestModule {
  constructor(health: HealthRegistry) {
    health.tolerate('postgres', 'ingest accepts events on the keys, redaction rules and retention policies it last read (INGEST_STALE_CACHE_MAX)');
  }
}
