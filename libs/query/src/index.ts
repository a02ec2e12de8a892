export * from './config';
export * from './cursor';
export * from './event-filter';
export * from './events-read.repository';
export * from './page-request';
export * from './read-audit';
export * from './read-recorder';
export * from './query.module';
