import { Global, Module } from '@nestjs/common';
import { HealthController, HealthRegistry } from './health';
import { MetricsController, ensureDefaultMetrics } from './metrics';

/** Health, readiness and metrics endpoints shared by every service; imported once per process. */
@Global()
@Module({
  controllers: [HealthController, MetricsController],
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class PlatformModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
