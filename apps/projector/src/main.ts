import { runHttpService } from '@audit/platform';
import { ProjectorAppModule } from './projector-app.module';

void runHttpService(ProjectorAppModule, 'projector');
