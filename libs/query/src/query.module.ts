import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { EventsController } from './events.controller';
import { EventsReadRepository } from './events-read.repository';
import { EventsSearch } from './events-search';
import { ReadAuditModule } from './read-audit';

/** The query API over Postgres (searches over ClickHouse) and the /audit console. Needs Persistence, ClickHouse, Messaging and Auth. */
@Module({
  imports: [ReadAuditModule],
  controllers: [EventsController, ConsoleController],
  providers: [EventsReadRepository, EventsSearch],
  exports: [EventsReadRepository, EventsSearch],
})
export class QueryModule {}
