import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { PlatformModule } from '@audit/platform';
import { ProjectorModule } from '@audit/projector';
import { ReadAuditModule } from '@audit/read-audit';

/**
 * The projector with the analytics API beside it: on embedded ClickHouse (chDB binds one data directory
 * per process) both must live in one process; on a ClickHouse server the API can also run elsewhere.
 */
@Module({ imports: [PlatformModule, ProjectorModule, AnalyticsModule, ReadAuditModule] })
export class ProjectorAppModule {}
