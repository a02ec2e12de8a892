import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { PersistenceModule } from '@audit/persistence';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';
import { ANALYTICS_CONFIG, readAnalyticsConfig } from './config';

/** The analytics API over ClickHouse, for administrators. */
@Module({
  imports: [ClickHouseModule, PersistenceModule, AuthModule],
  controllers: [AnalyticsController],
  providers: [{ provide: ANALYTICS_CONFIG, useFactory: () => readAnalyticsConfig() }, AnalyticsService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
