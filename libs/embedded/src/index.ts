export * from './ports';
export * from './embedded-nats';
export * from './embedded-postgres';
export * from './embedded-defaults';
