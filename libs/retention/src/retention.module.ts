import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { ReadAuditModule } from '@audit/read-audit';
import { ClickHouseRetentionStore } from './clickhouse-retention.store';
import { readRetentionConfig, RETENTION_CONFIG } from './config';
import { PostgresRetentionStore } from './postgres-retention.store';
import { RetentionSettingsController } from './retention-settings.controller';
import { RetentionRunner } from './retention.runner';
import { RetentionScheduler } from './retention.scheduler';

/**
 * `GET/PUT /v1/settings/retention` alone, for any HTTP service (e.g. the query API) that serves the
 * settings without running purges. Reading the settings is an administrator's read, recorded
 * (ReadAuditModule) in whichever service serves it; changing them is recorded on the bus too.
 */
@Module({ imports: [PersistenceModule, MessagingModule, AuthModule, ReadAuditModule], controllers: [RetentionSettingsController] })
export class RetentionSettingsModule {}

/** The runner without a schedule (the CLI's `retention run`): purges Postgres and ClickHouse. */
@Module({
  imports: [PersistenceModule, ClickHouseModule],
  providers: [{ provide: RETENTION_CONFIG, useFactory: () => readRetentionConfig() }, PostgresRetentionStore, ClickHouseRetentionStore, RetentionRunner],
  exports: [RETENTION_CONFIG, RetentionRunner],
})
export class RetentionRunnerModule {}

/** The retention service: scheduled runs plus the settings API. */
@Module({
  imports: [RetentionRunnerModule, RetentionSettingsModule],
  providers: [RetentionScheduler],
  exports: [RetentionRunnerModule],
})
export class RetentionModule {}
