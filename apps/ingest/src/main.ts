import { runHttpService } from '@audit/platform';
import { IngestAppModule } from './ingest-app.module';

void runHttpService(IngestAppModule, 'ingest');
