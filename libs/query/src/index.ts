export * from './config';
export * from './events-read.repository';
export * from './events-search';
export * from './page-request';
export * from './query.module';
export * from './live-tail';
export * from './live-tail-frames';
export * from './live-tail-slots';
