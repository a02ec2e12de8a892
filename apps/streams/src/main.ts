import { runHttpService } from '@audit/platform';
import { StreamsAppModule } from './streams-app.module';

void runHttpService(StreamsAppModule, 'streams');
