import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { QueryModule } from '@audit/query';
import { StreamsCoreModule } from '@audit/streams';
import { AlertEvaluator } from './alert-evaluator';
import { AlertsCatalog } from './alerts-catalog.service';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsScheduler } from './alerts.scheduler';
import { ALERTS_CONFIG, readAlertsConfig } from './config';
import { SavedSearchesController } from './saved-searches.controller';
import { SavedSearches } from './saved-searches.service';

/**
 * Saved searches and alerts: `/v1/searches`, `/v1/alerts`, `/v1/alert-firings`, and the every-minute
 * evaluation in ClickHouse (one replica at a time), the searches' users resolved in Postgres as the events
 * API and analytics resolve them (SearchUsersRepository), each minute only once the events search has
 * projected all of it (QueryModule's EventsSearch). Booted by the query service, which already reads
 * ClickHouse, and so by the standalone.
 */
@Module({
  imports: [PersistenceModule, ClickHouseModule, MessagingModule, AuthModule, QueryModule, StreamsCoreModule],
  controllers: [SavedSearchesController, AlertsController],
  providers: [{ provide: ALERTS_CONFIG, useFactory: () => readAlertsConfig() }, AlertsRepository, SavedSearches, AlertsCatalog, AlertEvaluator, AlertsScheduler],
  exports: [AlertEvaluator, AlertsCatalog, SavedSearches],
})
export class AlertsModule {}
