import { Module } from '@nestjs/common';
import { AlertsModule } from '@audit/alerts';
import { AnalyticsModule } from '@audit/analytics';
import { ExportsApiModule } from '@audit/exporter';
import { IngestModule } from '@audit/ingest';
import { PlatformModule } from '@audit/platform';
import { SettingsApiModule } from '@audit/settings';
import { ErasureModule, QueryModule } from '@audit/query';
import { RetentionModule } from '@audit/retention';
import { ConsumersThread } from './consumers-thread';
import { StreamsModule } from '@audit/streams';

/**
 * Every service in one process: the same modules the per-service apps boot. The writer, the projector, the
 * sealer, the sinks and the export worker run in a worker thread of it (consumers.module.ts), away from the
 * HTTP thread: this thread accepts events and answers reads.
 */
@Module({
  imports: [PlatformModule, IngestModule, AnalyticsModule, QueryModule, ExportsApiModule, RetentionModule, StreamsModule, ErasureModule, SettingsApiModule, AlertsModule],
  providers: [ConsumersThread],
})
export class StandaloneModule {}
