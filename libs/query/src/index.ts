export * from './config';
export * from './events-read.repository';
export * from './events-search';
export * from './page-request';
export * from './query.module';
