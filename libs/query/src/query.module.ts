import { Module } from '@nestjs/common';
import { ConsoleConfigController } from './console-config.controller';
import { ConsoleController } from './console.controller';
import { EventsController } from './events.controller';
import { EventsReadRepository } from './events-read.repository';
import { ReadAuditModule } from './read-audit';

/** The query API over Postgres and the /audit console. Needs Persistence, Messaging and Auth. */
@Module({
  imports: [ReadAuditModule],
  controllers: [EventsController, ConsoleController, ConsoleConfigController],
  providers: [EventsReadRepository],
  exports: [EventsReadRepository],
})
export class QueryModule {}
