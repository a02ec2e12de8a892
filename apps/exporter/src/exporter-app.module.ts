import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { SinksModule } from '@audit/sinks';

/** The exporter service: export job workers and their HTTP API, and the stdout / Datadog / webhook sinks. */
@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, ExportsApiModule, ExportWorkerModule, SinksModule] })
export class ExporterAppModule {}
