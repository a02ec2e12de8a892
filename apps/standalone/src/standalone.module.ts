import { Module } from '@nestjs/common';
import { AnalyticsModule } from '@audit/analytics';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { IngestModule } from '@audit/ingest';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { ProjectorModule } from '@audit/projector';
import { ErasureModule, QueryModule } from '@audit/query';
import { RetentionModule } from '@audit/retention';
import { SealerModule } from '@audit/sealer';
import { SinksModule } from '@audit/sinks';
import { WriterModule } from '@audit/writer';

/** Every service in one process: the same modules the per-service apps boot. */
@Module({
  imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, ClickHouseModule, IngestModule, WriterModule, SealerModule, ProjectorModule, AnalyticsModule, QueryModule, ErasureModule, ExportsApiModule, ExportWorkerModule, SinksModule, RetentionModule],
})
export class StandaloneModule {}
