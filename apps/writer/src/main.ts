import { runHttpService } from '@audit/platform';
import { WriterAppModule } from './writer-app.module';

void runHttpService(WriterAppModule, 'writer');
