export * from './config';
export * from './events-read.repository';
export * from './events-search';
export * from './page-request';
export * from './log-reads';
export * from './log.controller';
export * from './query.module';
export * from './erasure';
