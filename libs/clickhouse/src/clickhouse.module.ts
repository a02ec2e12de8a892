import { Module } from '@nestjs/common';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { ClickHouse } from './clickhouse.service';
import { CLICKHOUSE_CONFIG, readClickHouseConfig } from './config';
import { ClickHouseEventsRepository } from './events.repository';
import { ProjectionProgress } from './projection-progress';

/** ClickHouse for the process (server or embedded chDB); Postgres holds the migration lock. */
@Module({
  imports: [HealthModule, PersistenceModule],
  providers: [{ provide: CLICKHOUSE_CONFIG, useFactory: () => readClickHouseConfig() }, ClickHouse, ClickHouseEventsRepository, ProjectionProgress],
  exports: [CLICKHOUSE_CONFIG, ClickHouse, ClickHouseEventsRepository, ProjectionProgress],
})
export class ClickHouseModule {}
