import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { PersistenceModule } from '@audit/persistence';
import { ConsoleConfigController } from './console-config.controller';
import { ConsoleController } from './console.controller';
import { EventsController } from './events.controller';
import { EventsReadRepository } from './events-read.repository';
import { ReadAuditModule } from '@audit/read-audit';
import { ClickHouseModule } from '@audit/clickhouse';
import { QUERY_CONFIG, readQueryConfig } from './config';
import { EventsSearch } from './events-search';
import { LiveTail } from './live-tail';
import { LiveTailController } from './live-tail.controller';
import { LogController } from './log.controller';
import { LogReads } from './log-reads';
import { MessagingModule } from '@audit/messaging';

/** The query API over Postgres (searches over ClickHouse; the tamper-evident log's proofs), the live tail over the bus, and the /audit console; administrators' reads are audited (ReadAuditModule). */
@Module({
  imports: [PersistenceModule, ClickHouseModule, AuthModule, ReadAuditModule, MessagingModule],
  controllers: [LiveTailController, EventsController, LogController, ConsoleController, ConsoleConfigController],
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, EventsReadRepository, EventsSearch, LogReads, LiveTail],
  exports: [EventsReadRepository, EventsSearch],
})
export class QueryModule {}
