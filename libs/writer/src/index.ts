export * from './config';
export * from './writer.consumer';
export * from './writer.module';
