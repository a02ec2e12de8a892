import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { IngestModule } from '@audit/ingest';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { SettingsApiModule } from '@audit/settings';
import { ProjectorModule } from '@audit/projector';
import { QueryModule } from '@audit/query';
import { RetentionModule } from '@audit/retention';
import { SinksModule } from '@audit/sinks';
import { WriterModule } from '@audit/writer';

/** Every service in one process: the same modules the per-service apps boot. */
@Module({
  imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, ClickHouseModule, IngestModule, WriterModule, ProjectorModule, AnalyticsModule, QueryModule, ExportsApiModule, ExportWorkerModule, SinksModule, RetentionModule, SettingsApiModule],
})
export class StandaloneModule {}
