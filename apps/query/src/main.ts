import { runHttpService } from '@audit/platform';
import { QueryAppModule } from './query-app.module';

void runHttpService(QueryAppModule, 'query');
