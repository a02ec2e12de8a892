import { Global, Module } from '@nestjs/common';
import { ClickHouse } from './clickhouse.service';
import { CLICKHOUSE_CONFIG, readClickHouseConfig } from './config';
import { ClickHouseEventsRepository } from './events.repository';
import { ProjectionProgress } from './projection-progress';

/** ClickHouse for the process (server or embedded chDB). Needs PersistenceModule for the migration lock. */
@Global()
@Module({
  providers: [{ provide: CLICKHOUSE_CONFIG, useFactory: () => readClickHouseConfig() }, ClickHouse, ClickHouseEventsRepository, ProjectionProgress],
  exports: [CLICKHOUSE_CONFIG, ClickHouse, ClickHouseEventsRepository, ProjectionProgress],
})
export class ClickHouseModule {}
