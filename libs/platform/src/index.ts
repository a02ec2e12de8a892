export * from './config';
export * from './logger';
export * from './health';
export * from './metrics';
export * from './errors';
export * from './bootstrap';
export * from './platform.module';
export * from './sleep';
