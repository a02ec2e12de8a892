import { Module } from '@nestjs/common';
import { ReadAuditModule } from '@audit/query';
import { ClickHouseRetentionStore } from './clickhouse-retention.store';
import { readRetentionConfig, RETENTION_CONFIG } from './config';
import { PostgresRetentionStore } from './postgres-retention.store';
import { RetentionSettingsController } from './retention-settings.controller';
import { RetentionRunner } from './retention.runner';
import { RetentionScheduler } from './retention.scheduler';

/**
 * `GET/PUT /v1/settings/retention` alone, for any HTTP service (e.g. the query API) that serves the
 * settings without running purges. Needs PersistenceModule, MessagingModule and AuthModule; reading the
 * settings is an administrator's read, recorded (ReadAuditModule) in whichever service serves it.
 */
@Module({ imports: [ReadAuditModule], controllers: [RetentionSettingsController] })
export class RetentionSettingsModule {}

/** The runner without a schedule (the CLI's `retention run`). Needs PersistenceModule and ClickHouseModule. */
@Module({
  providers: [{ provide: RETENTION_CONFIG, useFactory: () => readRetentionConfig() }, PostgresRetentionStore, ClickHouseRetentionStore, RetentionRunner],
  exports: [RETENTION_CONFIG, RetentionRunner],
})
export class RetentionRunnerModule {}

/** The retention service: scheduled runs plus the settings API. Needs Persistence, ClickHouse and Auth. */
@Module({
  imports: [RetentionRunnerModule, RetentionSettingsModule],
  providers: [RetentionScheduler],
  exports: [RetentionRunnerModule],
})
export class RetentionModule {}
