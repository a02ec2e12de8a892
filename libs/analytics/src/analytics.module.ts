import { Module } from '@nestjs/common';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';
import { ANALYTICS_CONFIG, readAnalyticsConfig } from './config';

/** The analytics API over ClickHouse. Needs ClickHouseModule and AuthModule. */
@Module({
  controllers: [AnalyticsController],
  providers: [{ provide: ANALYTICS_CONFIG, useFactory: () => readAnalyticsConfig() }, AnalyticsService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
