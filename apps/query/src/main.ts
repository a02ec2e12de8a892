import { JsonLogger, raiseReadsThread, runHttpService } from '@audit/platform';
import { QueryAppModule } from './query-app.module';

async function main(): Promise<void> {
  const logger = new JsonLogger('query');
  const app = await runHttpService(QueryAppModule, 'query');
  // Its HTTP thread answers administrators' reads; on a host shared with ingest, writer and projector (one
  // machine running the split services, docker-compose) it waited for a core behind their threads.
  if (app) raiseReadsThread((entry) => logger.warn(entry));
}

void main();
