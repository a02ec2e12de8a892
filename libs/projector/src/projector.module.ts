import { Module } from '@nestjs/common';
import { PROJECTOR_CONFIG, readProjectorConfig } from './config';
import { ProjectionRebuilder } from './projection-rebuilder';
import { ProjectorConsumer } from './projector.consumer';

/** The projector service: AUDIT_EVENTS → ClickHouse. Needs Messaging, Persistence and ClickHouse. */
@Module({
  providers: [{ provide: PROJECTOR_CONFIG, useFactory: () => readProjectorConfig() }, ProjectorConsumer],
  exports: [ProjectorConsumer],
})
export class ProjectorModule {}

/** Rebuild only: no consumer, for the CLI. */
@Module({ providers: [ProjectionRebuilder], exports: [ProjectionRebuilder] })
export class ProjectionRebuildModule {}
