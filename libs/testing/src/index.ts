export * from './test-database';
export * from './test-nats';
export * from './wait-for';
export * from './processes';
export * from './fixtures';
export * from './test-clickhouse';
export * from './tcp-proxy';
export * from './supervisor';
