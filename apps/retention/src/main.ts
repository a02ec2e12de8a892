import { runHttpService } from '@audit/platform';
import { RetentionAppModule } from './retention-app.module';

void runHttpService(RetentionAppModule, 'retention');
