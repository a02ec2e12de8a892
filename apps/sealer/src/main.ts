import { runHttpService } from '@audit/platform';
import { SealerAppModule } from './sealer-app.module';

void runHttpService(SealerAppModule, 'sealer');
