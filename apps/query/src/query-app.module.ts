import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { PlatformModule } from '@audit/platform';
import { ErasureModule, QueryModule } from '@audit/query';
import { SettingsApiModule } from '@audit/settings';

/**
 * What administrators open: the /audit console, the events API over Postgres and the analytics API
 * over ClickHouse (a ClickHouse server here; embedded chDB belongs to one process, see standalone).
 */
@Module({
  imports: [PlatformModule, QueryModule, AnalyticsModule, ErasureModule, SettingsApiModule],
})
export class QueryAppModule {}
