export * from './config';
export * from './ports';
export * from './embedded-nats';
export * from './nats-auth';
export * from './embedded-postgres';
export * from './embedded-defaults';
