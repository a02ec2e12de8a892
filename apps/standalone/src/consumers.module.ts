import { Module } from '@nestjs/common';
import { ExportWorkerModule } from '@audit/exporter';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { SealerModule } from '@audit/sealer';
import { SinksModule } from '@audit/sinks';
import { WriterModule } from '@audit/writer';

/**
 * What the standalone runs in its consumers thread: the writer, the sealer, the sinks and the export worker, each
 * with its own NATS and Postgres connections. The projector stays on the main thread with embedded
 * ClickHouse (chDB binds its data directory once per process; its queries already run off the event
 * loop), and so does ingest, whose bus consumer shares the per-organization rate limit with HTTP.
 */
@Module({ imports: [HealthModule, MessagingModule, PersistenceModule, WriterModule, SealerModule, SinksModule, ExportWorkerModule] })
export class ConsumersModule {}
