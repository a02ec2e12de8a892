export * from './config';
export * from './query-params';
export * from './analytics.service';
export * from './analytics.module';
export * from './event-filter-clickhouse';
