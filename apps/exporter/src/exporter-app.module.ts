import { Module } from '@nestjs/common';
import { ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { PlatformModule } from '@audit/platform';
import { SinksModule } from '@audit/sinks';

/** The exporter service: export job workers and their HTTP API, and the stdout / Datadog / webhook sinks. */
@Module({ imports: [PlatformModule, ExportsApiModule, ExportWorkerModule, SinksModule] })
export class ExporterAppModule {}
