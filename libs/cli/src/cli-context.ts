import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthModule } from '@audit/auth';
import { PersistenceModule } from '@audit/persistence';
import { JsonLogger, PlatformModule } from '@audit/platform';

@Module({ imports: [PlatformModule, PersistenceModule, AuthModule] })
class CliModule {}

/** The providers the CLI needs (database, keys, tokens), without HTTP or consumers. */
export async function openCliContext(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(CliModule, { logger: new JsonLogger('cli', 'warn') });
}
