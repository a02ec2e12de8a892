import { Module } from '@nestjs/common';
import { ExportWorkerModule } from '@audit/exporter';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { ProjectorModule } from '@audit/projector';
import { SealerModule } from '@audit/sealer';
import { SinksModule } from '@audit/sinks';
import { WriterModule } from '@audit/writer';

/**
 * What the standalone runs in its consumers thread: the writer, the projector, the sealer, the sinks and the
 * export worker, each with its own NATS and Postgres connections. The projector opens embedded ClickHouse here
 * too: chDB binds its data directory once per process, and every thread of the process may open sessions on
 * it, so the main thread's reads (analytics, search) and this thread's inserts see the same tables while
 * decoding, encoding and settling tens of thousands of events a second stay off the thread that answers HTTP.
 * Ingest stays on the main thread: its bus consumer shares the per-organization rate limit with HTTP.
 */
@Module({ imports: [HealthModule, MessagingModule, PersistenceModule, WriterModule, ProjectorModule, SealerModule, SinksModule, ExportWorkerModule] })
export class ConsumersModule {}
