import { Module } from '@nestjs/common';
import { HealthModule } from '@audit/platform';
import { ApiKeysRepository } from './api-keys.repository';
import { AuditEventsScanRepository } from './audit-events-scan.repository';
import { AuditEventsWriteRepository } from './audit-events.repository';
import { PERSISTENCE_CONFIG, readPersistenceConfig } from './config';
import { Database } from './database';
import { EventIdsRepository } from './event-ids.repository';
import { EventPartitionsRepository } from './event-partitions.repository';
import { PartitionManager } from './partitions';
import { RedactionRulesRepository } from './redaction-rules.repository';
import { RetentionPoliciesRepository } from './retention-policies.repository';
import { RetentionRunsRepository } from './retention-runs.repository';
import { TransparencyLogRepository } from './transparency-log.repository';
import { LogVerificationRepository } from './log-verification.repository';
import { ErasuresRepository } from './erasures.repository';
import { SearchUsersRepository } from './search-users.repository';

/** Postgres for the whole process: connection, migrations at start, and the repositories. */
@Module({
  imports: [HealthModule],
  providers: [
    { provide: PERSISTENCE_CONFIG, useFactory: () => readPersistenceConfig() },
    Database,
    AuditEventsWriteRepository,
    AuditEventsScanRepository,
    PartitionManager,
    EventPartitionsRepository,
    EventIdsRepository,
    ApiKeysRepository,
    RedactionRulesRepository,
    RetentionPoliciesRepository,
    RetentionRunsRepository,
    TransparencyLogRepository,
    LogVerificationRepository,
    ErasuresRepository,
    SearchUsersRepository,
  ],
  exports: [PERSISTENCE_CONFIG, Database, AuditEventsWriteRepository, AuditEventsScanRepository, PartitionManager, EventPartitionsRepository, EventIdsRepository, ApiKeysRepository, RedactionRulesRepository, RetentionPoliciesRepository, RetentionRunsRepository, TransparencyLogRepository, LogVerificationRepository, ErasuresRepository, SearchUsersRepository],
})
export class PersistenceModule {}
