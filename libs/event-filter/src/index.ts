export * from './event-filter';
export * from './cursor';
