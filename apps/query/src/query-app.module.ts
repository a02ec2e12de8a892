import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { SettingsApiModule } from '@audit/settings';
import { QueryModule } from '@audit/query';

/**
 * What administrators open: the /audit console, the events API over Postgres and the analytics API
 * over ClickHouse (a ClickHouse server here; embedded chDB belongs to one process, see standalone).
 */
@Module({
  imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, ClickHouseModule, QueryModule, AnalyticsModule, SettingsApiModule],
})
export class QueryAppModule {}
