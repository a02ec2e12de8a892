import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { IngestModule } from '@audit/ingest';
import { PlatformModule } from '@audit/platform';
import { ProjectorModule } from '@audit/projector';
import { QueryModule } from '@audit/query';
import { RetentionModule } from '@audit/retention';
import { SinksModule } from '@audit/sinks';
import { WriterModule } from '@audit/writer';

/** Every service in one process: the same modules the per-service apps boot. */
@Module({
  imports: [PlatformModule, IngestModule, WriterModule, ProjectorModule, AnalyticsModule, QueryModule, ExportsApiModule, ExportWorkerModule, SinksModule, RetentionModule],
})
export class StandaloneModule {}
