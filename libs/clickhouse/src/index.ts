export * from './config';
export * from './clickhouse.client';
export * from './migrator';
export * from './schema-layout';
export * from './clickhouse.service';
export * from './events.repository';
export * from './clickhouse-errors';
export * from './clickhouse.module';
