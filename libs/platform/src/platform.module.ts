import { Global, Module } from '@nestjs/common';
import { HealthController, HealthRegistry } from './health';
import { MetricsController, ensureDefaultMetrics } from './metrics';
import { OpenApiController } from './openapi';

/** Health, readiness and metrics endpoints and the API's OpenAPI document, shared by every service; imported once per process. */
@Global()
@Module({
  controllers: [HealthController, MetricsController, OpenApiController],
  providers: [HealthRegistry],
  exports: [HealthRegistry],
})
export class PlatformModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
