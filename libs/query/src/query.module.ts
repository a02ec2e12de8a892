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
import { LogController } from './log.controller';
import { LogReads } from './log-reads';

/** The query API over Postgres (searches over ClickHouse; the tamper-evident log's proofs) and the /audit console; administrators' reads are audited (ReadAuditModule). */
@Module({
  imports: [PersistenceModule, ClickHouseModule, AuthModule, ReadAuditModule],
  controllers: [EventsController, LogController, ConsoleController, ConsoleConfigController],
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, EventsReadRepository, EventsSearch, LogReads],
  exports: [EventsReadRepository, EventsSearch],
})
export class QueryModule {}
