export * from './ast';
export * from './errors';
export * from './parser';
export * from './values';
export * from './users';
export * from './compile-clickhouse';
export * from './compile-postgres';
export * from './evaluate';
