import { Module } from '@nestjs/common';
import { AlertsModule } from '@audit/alerts';
import { AnalyticsModule } from '@audit/analytics';
import { PlatformModule } from '@audit/platform';
import { ErasureModule, QueryModule } from '@audit/query';
import { SettingsApiModule } from '@audit/settings';

/**
 * What administrators open: the /audit console, the events API over Postgres and the analytics API
 * over ClickHouse (a ClickHouse server here; embedded chDB belongs to one process, see standalone), and
 * saved searches and alerts, evaluated here because this service already reads ClickHouse.
 */
@Module({
  imports: [PlatformModule, QueryModule, AnalyticsModule, ErasureModule, SettingsApiModule, AlertsModule],
})
export class QueryAppModule {}
