import type { Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AlertsModule } from '@audit/alerts';
import { AnalyticsModule } from '@audit/analytics';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { ExporterCoreModule, ExportsApiModule, ExportWorkerModule } from '@audit/exporter';
import { IngestModule } from '@audit/ingest';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule, PlatformModule } from '@audit/platform';
import { ProjectionRebuildModule, ProjectorModule } from '@audit/projector';
import { ErasureModule, QueryModule } from '@audit/query';
import { ReadAuditModule } from '@audit/read-audit';
import { RetentionModule, RetentionRunnerModule, RetentionSettingsModule } from '@audit/retention';
import { SealerModule } from '@audit/sealer';
import { SettingsApiModule, SettingsUseCasesModule } from '@audit/settings';
import { SinksModule } from '@audit/sinks';
import { StreamChangesModule, StreamsCoreModule, StreamsModule } from '@audit/streams';
import { WriterModule } from '@audit/writer';
import { ConsumersModule } from './consumers.module';
import { StandaloneModule } from './standalone.module';

/**
 * No module is global: each imports the modules whose providers it injects. Compiling one on its own
 * resolves every constructor of its graph (nothing connects before init), so a missing import fails here
 * with Nest's "can't resolve dependencies" instead of only in the combinations the apps happen to boot.
 */
const MODULES: Record<string, Type<unknown>> = {
  HealthModule,
  PlatformModule,
  PersistenceModule,
  MessagingModule,
  ClickHouseModule,
  AuthModule,
  IngestModule,
  WriterModule,
  ProjectorModule,
  ProjectionRebuildModule,
  AnalyticsModule,
  ReadAuditModule,
  QueryModule,
  ErasureModule,
  SealerModule,
  SettingsUseCasesModule,
  SettingsApiModule,
  ExporterCoreModule,
  ExportsApiModule,
  ExportWorkerModule,
  SinksModule,
  RetentionSettingsModule,
  RetentionRunnerModule,
  RetentionModule,
  StreamsCoreModule,
  StreamChangesModule,
  StreamsModule,
  AlertsModule,
  StandaloneModule,
  ConsumersModule,
};

describe('every module imports what it needs', () => {
  beforeAll(() => {
    // The configurations are read when the modules compile; the credentials are the only required ones.
    process.env.AUTH_JWT_SECRET = 'modules-spec-secret-0123456789-abcdef';
    process.env.LOG_LEVEL = 'error';
  });

  it.each(Object.entries(MODULES))('%s compiles on its own', async (_name, module) => {
    const compiled = await Test.createTestingModule({ imports: [module] }).compile();
    expect(compiled).toBeDefined();
  });
});
