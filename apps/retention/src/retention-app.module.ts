import { Module } from '@nestjs/common';
import { PlatformModule } from '@audit/platform';
import { RetentionModule } from '@audit/retention';

/**
 * The retention service: scheduled purges of Postgres and ClickHouse, and the settings API. On embedded
 * ClickHouse (chDB binds one data directory per process) run retention inside the standalone process
 * instead; with a ClickHouse server (CLICKHOUSE_URL) any number of replicas may run, one acts at a time.
 * The bus records administrators' changes of retention as audit events.
 */
@Module({ imports: [PlatformModule, RetentionModule] })
export class RetentionAppModule {}
