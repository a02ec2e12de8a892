import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { PersistenceModule } from '@audit/persistence';
import { JsonLogger, PlatformModule } from '@audit/platform';
import { ProjectionRebuildModule } from '@audit/projector';
import { StreamsCoreModule } from '@audit/streams';

@Module({ imports: [PlatformModule, PersistenceModule, AuthModule, StreamsCoreModule] })
class CliModule {}

@Module({ imports: [PlatformModule, PersistenceModule, AuthModule, ClickHouseModule, ProjectionRebuildModule] })
class CliAnalyticsModule {}

/**
 * The providers a command needs, without HTTP or consumers. ClickHouse is opened only for commands
 * that use it: embedded chDB binds its data directory to one process, which may be the running platform.
 */
export async function openCliContext(withClickHouse = false): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(withClickHouse ? CliAnalyticsModule : CliModule, { logger: new JsonLogger('cli', 'warn') });
}
