import 'reflect-metadata';
import { serveWorkerContext } from '@audit/platform';
import { ConsumersModule } from './consumers.module';

void serveWorkerContext(ConsumersModule, 'standalone-consumers');
