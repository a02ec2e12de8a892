export * from './run-cli';
export * from './demo-events';
