import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { PersistenceModule } from '@audit/persistence';
import { ConsoleController } from './console.controller';
import { EventsController } from './events.controller';
import { EventsReadRepository } from './events-read.repository';
import { ReadAuditModule } from '@audit/read-audit';
import { QUERY_CONFIG, readQueryConfig } from './config';

/** The query API over Postgres and the /audit console; administrators' reads are audited (ReadAuditModule). */
@Module({
  imports: [PersistenceModule, AuthModule, ReadAuditModule],
  controllers: [EventsController, ConsoleController],
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, EventsReadRepository],
  exports: [EventsReadRepository],
})
export class QueryModule {}
