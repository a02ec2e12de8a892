import { Module } from '@nestjs/common';
import { HealthController, HealthRegistry } from './health';
import { MetricsController, ensureDefaultMetrics } from './metrics';
import { OpenApiController } from './openapi';

/** The readiness registry alone: what a module imports to add its checks, without serving any endpoint. */
@Module({ providers: [HealthRegistry], exports: [HealthRegistry] })
export class HealthModule {}

/** Health, readiness and metrics endpoints and the API's OpenAPI document, shared by every service; imported by each app. */
@Module({
  imports: [HealthModule],
  controllers: [HealthController, MetricsController, OpenApiController],
  exports: [HealthModule],
})
export class PlatformModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
