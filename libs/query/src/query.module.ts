import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { EventsController } from './events.controller';
import { EventsReadRepository } from './events-read.repository';
import { LogController } from './log.controller';
import { LogReads } from './log-reads';
import { ReadAuditModule } from './read-audit';

/** The query API over Postgres (events, and the tamper-evident log's proofs) and the /audit console. Needs Persistence, Messaging and Auth. */
@Module({
  imports: [ReadAuditModule],
  controllers: [EventsController, LogController, ConsoleController],
  providers: [EventsReadRepository, LogReads],
  exports: [EventsReadRepository],
})
export class QueryModule {}
