export * from './config';
export * from './events-read.repository';
export * from './page-request';
export * from './query.module';
