import { runHttpService } from '@audit/platform';
import { ExporterAppModule } from './exporter-app.module';

void runHttpService(ExporterAppModule, 'exporter');
