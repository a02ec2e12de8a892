export * from './config';
export * from './read-audit';
export * from './read-recorder';
