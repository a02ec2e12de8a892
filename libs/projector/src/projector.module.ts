import { Module } from '@nestjs/common';
import { ClickHouseModule } from '@audit/clickhouse';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { PROJECTOR_CONFIG, readProjectorConfig } from './config';
import { ProjectionRebuilder } from './projection-rebuilder';
import { ProjectorConsumer } from './projector.consumer';

/** The projector service: AUDIT_EVENTS → ClickHouse; Postgres for the erasures a batch in flight missed. */
@Module({
  imports: [HealthModule, MessagingModule, ClickHouseModule, PersistenceModule],
  providers: [{ provide: PROJECTOR_CONFIG, useFactory: () => readProjectorConfig() }, ProjectorConsumer],
  exports: [ProjectorConsumer],
})
export class ProjectorModule {}

/** Rebuild only (from Postgres into ClickHouse): no consumer, for the CLI. */
@Module({ imports: [PersistenceModule, ClickHouseModule], providers: [ProjectionRebuilder], exports: [ProjectionRebuilder] })
export class ProjectionRebuildModule {}
