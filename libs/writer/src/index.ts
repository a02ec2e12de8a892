export * from './config';
export * from './decode-event';
export * from './writer.consumer';
export * from './writer.module';
